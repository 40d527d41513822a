//! Checking paper originals at the counter, on the dossier's page: for each paper of the
//! procedure, the officer scans the original (`POST /dossiers/{id}/originals/{component}/scans`,
//! multipart) and records what was found — matches, does not match, missing — with a note
//! (`POST /dossiers/{id}/originals/{component}/decision`), beside the papers the applicant
//! submitted. The same services and rules as `/api/v1/dossiers/{id}/originals/...`: scan
//! quality, who may, when.
//!
//! Never moves the dossier itself: the moves (originals verified, or not) stay the officer's
//! buttons, which the lifecycle allows once the papers are decided.

use axum::Router;
use axum::extract::{Form as UrlForm, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;

use crate::dossier::originals::{Originals, Outcome};

use super::super::extract::Form;
use super::super::{ApiError, AppState};
use super::format::moment;
use super::i18n::{Lang, Messages};
use super::{Signed, failure, see_other};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dossiers/{id}/originals/{component}/scans", post(scans))
        .route(
            "/dossiers/{id}/originals/{component}/decision",
            post(decide),
        )
}

/// One paper of the checklist, as the dossier's page shows it.
pub(super) struct PaperCheck {
    pub code: String,
    pub name: String,
    /// The scans of its original: document id, file name, whether an image (shown inline).
    pub scans: Vec<(String, String, bool)>,
    /// What was found, in words, with the note and when; empty while undecided.
    pub decision: String,
}

/// The checklist of a dossier's originals, for its page.
pub(super) fn checklist(o: &Originals, lang: Lang, t: &Messages) -> Vec<PaperCheck> {
    o.components
        .iter()
        .map(|c| PaperCheck {
            code: c.code.clone(),
            name: match lang {
                Lang::Vi => c.name_vi.clone(),
                Lang::En => c.name_en.clone(),
            },
            scans: c
                .scans
                .iter()
                .map(|d| {
                    (
                        d.id.clone(),
                        d.filename.clone(),
                        d.media_type.as_str().starts_with("image/"),
                    )
                })
                .collect(),
            decision: c.decision.as_ref().map_or_else(String::new, |d| {
                let mut words = format!(
                    "{} ({})",
                    t.get(&format!("original-{}", d.outcome.as_str())),
                    moment(&d.at)
                );
                if let Some(note) = d.note.as_deref().filter(|n| !n.is_empty()) {
                    words.push_str(" — ");
                    words.push_str(note);
                }
                words
            }),
        })
        .collect()
}

/// Records the officer's scans of one paper's original.
async fn scans(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, component)): Path<(String, String)>,
    Form(mut multipart): Form,
) -> Response {
    let result = async {
        signed.check_multipart(&mut multipart).await?;
        let principal = signed.principal();
        state.dossiers.may_scan(principal, &id, &component).await?;
        let files = super::browser_files(&state, &mut multipart).await?;
        let (_, warnings) = state
            .dossiers
            .record_scans(principal, &id, &component, files)
            .await?;
        Ok::<_, ApiError>(warnings)
    }
    .await;
    match result {
        Ok(warnings) if warnings.is_empty() => {
            see_other(&format!("/dossiers/{id}?scanned={component}#originals-h"))
        }
        Ok(_) => see_other(&format!(
            "/dossiers/{id}?scanned={component}&scan_warning=1#originals-h"
        )),
        Err(e) => failure(signed.lang, &e),
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

/// Records what the officer found for one paper.
async fn decide(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, component)): Path<(String, String)>,
    UrlForm(f): UrlForm<DecisionForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let Some(outcome) = Outcome::parse(f.outcome.trim()) else {
        return failure(
            signed.lang,
            &ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "outcome: matches, mismatch or missing",
            ),
        );
    };
    let note = Some(f.note.trim()).filter(|n| !n.is_empty());
    match state
        .dossiers
        .decide_original(signed.principal(), &id, &component, outcome, note)
        .await
    {
        Ok(_) => see_other(&format!("/dossiers/{id}?decided={component}#originals-h")),
        Err(e) => failure(signed.lang, &ApiError::from(e)),
    }
}
