//! What an applicant does on a dossier's page beyond reading it: answering a request for more
//! papers (`POST /dossiers/{id}/supplement`, multipart, the same rules and intake as `POST
//! /api/v1/dossiers/{id}/documents`). Who among staff opened the dossier is shown on the
//! dossier's page itself (`counter.rs`), from the same service as `GET /api/v1/dossiers/{id}/reads`.
//!
//! Never decides who may supplement: `DossierService::may_supplement` does, before any byte is
//! stored; the form's CSRF token comes first.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;

use crate::dossier::intake::PendingFiles;

use super::super::error::{multipart_error, part_filename, read_part_limited};
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
    let expired = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "form_expired",
            "the form's token does not match the session",
        )
    };
    let principal = signed.principal();
    let Some(first) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    else {
        return Err(expired());
    };
    if first.name() != Some("csrf_token") {
        return Err(expired());
    }
    let token = read_part_limited(first, 256, "request_too_large", "the form's token").await?;
    if !signed.form_is_ours(&String::from_utf8_lossy(&token)) {
        return Err(expired());
    }
    state.dossiers.may_supplement(principal, id).await?;
    let mut files = PendingFiles::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        if field.name() != Some("file") {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unexpected_part",
                "the form sends its files as \"file\"",
            ));
        }
        let filename = part_filename(&field)?;
        // A file input left empty still sends a part, with no name and no bytes.
        if filename.as_deref().is_none_or(str::is_empty) {
            continue;
        }
        let content_type = field.content_type().map(str::to_owned);
        state
            .dossiers
            .receive_file(
                &mut files,
                filename.as_deref(),
                content_type.as_deref(),
                field,
            )
            .await?;
    }
    state
        .dossiers
        .record_supplement(principal, id, files)
        .await?;
    Ok(())
}
