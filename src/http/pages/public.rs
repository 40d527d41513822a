//! Screens for anyone, without signing in: look a dossier up by the code on its slip
//! (`GET /lookup`: its status and due date, nothing personal; rate-limited per address by the
//! admission layer like `/verify`).
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
use super::format::date;
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
