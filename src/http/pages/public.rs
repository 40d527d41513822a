//! Screens for anyone, without signing in: look a dossier up by the code on its slip
//! (`GET /lookup`: its status and due date, nothing personal; rate-limited per address by the
//! admission layer), and the pages of the public check of a result (`/verify`, routed in
//! `http::results`, which asks the result service and gives this module what to show).
//!
//! Never shows a name, a procedure's details or a paper: a code can be read off a lost slip.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::super::{ApiError, AppState};
use super::format::{date, moment};
use super::i18n::{Lang, Messages};
use super::{PageLang, UserBar, failure, page};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/lookup", get(lookup))
}

#[derive(Deserialize, Default)]
struct LookupParams {
    #[serde(default)]
    code: String,
}

struct Answer {
    status: String,
    received: String,
    due: String,
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    code: String,
    answer: Option<Answer>,
    not_found: bool,
}

/// The lookup form, and its answer when a code was given.
async fn lookup(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(p): Query<LookupParams>,
) -> Response {
    let t = Messages::of(lang);
    let code = p.code.trim().to_owned();
    let (answer, not_found, status) = if code.is_empty() {
        (None, false, StatusCode::OK)
    } else {
        match state.dossiers.public_status(&code).await {
            Ok(Some(s)) => (
                Some(Answer {
                    status: t.get(&format!("status-{}", s.status.as_str())),
                    received: date(s.received_on),
                    due: s.due_on.map(date).unwrap_or_default(),
                }),
                false,
                StatusCode::OK,
            ),
            Ok(None) => (None, true, StatusCode::NOT_FOUND),
            Err(e) => return failure(lang, &ApiError::from(e)),
        }
    };
    let back = if code.is_empty() {
        "/lookup".to_owned()
    } else {
        format!(
            "/lookup?{}",
            serde_urlencoded::to_string([("code", code.as_str())]).unwrap_or_default()
        )
    };
    page(
        status,
        LookupPage {
            lang,
            t,
            back,
            user: None,
            code,
            answer,
            not_found,
        }
        .render(),
    )
}

/// What the public check of a result shows: the verdict, then the result as issued (no
/// applicant data) and who signed it. Built by `http::results` from the result service's
/// answer; the JSON form of the same answer stays there.
pub(in crate::http) struct VerifyView {
    /// `genuine`, `revoked`, `invalid` (the file's signature fails or it is no result issued
    /// here), or `not_found` (no result has this code).
    pub verdict: &'static str,
    /// The code asked for, or the file's SHA-256 for an upload that matched nothing.
    pub asked: String,
    pub result: Option<ResultView>,
    pub signers: Vec<SignerView>,
    /// The checked file's SHA-256 (uploads).
    pub sha256: Option<String>,
}

/// A result as the public sees it.
pub(in crate::http) struct ResultView {
    pub code: String,
    pub title: String,
    pub agency: String,
    /// RFC 3339.
    pub issued_at: String,
    pub sha256: String,
    pub revoked: Option<(String, String)>,
}

/// One signature of the checked PDF.
pub(in crate::http) struct SignerView {
    pub who: String,
    /// RFC 3339, when known.
    pub at: Option<String>,
    /// ETSI indication and sub-indication, for the folded details.
    pub indication: String,
    pub sub_indication: Option<String>,
}

struct SignerLine {
    who: String,
    at: String,
    words: String,
    class: &'static str,
    technical: String,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    /// None: the form alone.
    verdict: Option<(&'static str, String, String)>,
    facts: Vec<(String, String)>,
    signers: Vec<SignerLine>,
    sha256: String,
}

/// An instant on the public check, which anyone anywhere reads: Vietnam's time, saying so, as
/// the PDF prints it.
fn when(text: &str) -> String {
    crate::timestamp::Timestamp::parse(text).map_or_else(
        |_| text.to_owned(),
        |t| format!("{} (UTC+07:00)", moment(&t)),
    )
}

/// The page of a public check (`view` None: the upload form alone).
pub(in crate::http) fn verify_page(lang: Lang, back: String, view: Option<VerifyView>) -> Response {
    let t = Messages::of(lang);
    let Some(v) = view else {
        return page(
            StatusCode::OK,
            VerifyPage {
                lang,
                t,
                back,
                user: None,
                verdict: None,
                facts: vec![],
                signers: vec![],
                sha256: String::new(),
            }
            .render(),
        );
    };
    let (class, headline, explanation) = match v.verdict {
        "genuine" => (
            "ok",
            t.get("verify-genuine"),
            v.result.as_ref().map_or_else(String::new, |r| {
                t.with_args(
                    "verify-genuine-why",
                    &[("agency", &r.agency), ("date", &when(&r.issued_at))],
                )
            }),
        ),
        "revoked" => ("bad", t.get("verify-revoked"), t.get("verify-revoked-why")),
        "not_found" => (
            "bad",
            t.get("verify-not-found"),
            t.get("verify-not-found-why"),
        ),
        _ => ("bad", t.get("verify-invalid"), t.get("verify-invalid-why")),
    };
    let mut facts = Vec::new();
    if let Some(r) = &v.result {
        facts.push((t.get("verify-code"), r.code.clone()));
        facts.push((t.get("verify-document"), r.title.clone()));
        facts.push((t.get("verify-agency"), r.agency.clone()));
        facts.push((t.get("verify-issued-at"), when(&r.issued_at)));
        if let Some((at, reason)) = &r.revoked {
            facts.push((
                t.get("verify-revoked-at"),
                format!("{} — {}", when(at), reason),
            ));
        }
    } else if v.verdict == "not_found" {
        facts.push((t.get("verify-code"), v.asked.clone()));
    }
    let signers = v
        .signers
        .iter()
        .map(|s| {
            let (class, key) = match s.indication.as_str() {
                "TOTAL_PASSED" => ("valid", "signature-valid"),
                "TOTAL_FAILED" => ("invalid", "signature-invalid"),
                _ => ("unknown", "signature-indeterminate"),
            };
            let mut words = t.get(key);
            if let Some(sub) = &s.sub_indication {
                words = format!("{words}. {}", t.get(&format!("signature-why-{sub}")));
            }
            SignerLine {
                who: s.who.clone(),
                at: s.at.as_deref().map(when).unwrap_or_default(),
                words,
                class,
                technical: match &s.sub_indication {
                    Some(sub) => format!("{} / {sub}", s.indication),
                    None => s.indication.clone(),
                },
            }
        })
        .collect();
    let sha256 = v
        .sha256
        .clone()
        .or_else(|| v.result.as_ref().map(|r| r.sha256.clone()))
        .unwrap_or_default();
    let status = if v.verdict == "not_found" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    page(
        status,
        VerifyPage {
            lang,
            t,
            back,
            user: None,
            verdict: Some((class, headline, explanation)),
            facts,
            signers,
            sha256,
        }
        .render(),
    )
}
