//! What an applicant does on a dossier's page beyond reading it: answering a request for more
//! papers (`POST /dossiers/{id}/supplement`, multipart, the same rules and intake as `POST
//! /api/v1/dossiers/{id}/documents`). Who among staff opened the dossier is shown on the
//! dossier's page itself (`counter.rs`), from the same service as `GET /api/v1/dossiers/{id}/reads`.
//!
//! Never decides who may supplement: `DossierService::may_supplement` does, before any byte is
//! stored; the form's CSRF token comes first.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;

use super::super::extract::Form;
use super::super::{ApiError, AppState};
use super::{Signed, failure, see_other};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/dossiers/{id}/supplement", post(supplement))
}

/// Adds the papers asked for; back to the dossier's page, which says so.
async fn supplement(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(mut multipart): Form,
) -> Response {
    match supplement_inner(&state, &signed, &id, &mut multipart).await {
        Ok(()) => see_other(&format!("/dossiers/{id}?supplemented=1")),
        Err(e) => failure(signed.lang, &e),
    }
}

async fn supplement_inner(
    state: &AppState,
    signed: &Signed,
    id: &str,
    multipart: &mut axum::extract::Multipart,
) -> Result<(), ApiError> {
    let principal = signed.principal();
    signed.check_multipart(multipart).await?;
    state.dossiers.may_supplement(principal, id).await?;
    let files = super::browser_files(state, multipart).await?;
    state
        .dossiers
        .record_supplement(principal, id, files)
        .await?;
    Ok(())
}
