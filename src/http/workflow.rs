//! `/api/v1/dossiers/{id}/transitions`: moving a dossier through its lifecycle.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::dossier::{DossierStatus, MoveRequest};

use super::wire::DossierJson;
use super::{ApiError, AppState, Caller, ErrorBody, json, parse_json};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/dossiers/{id}/transitions", post(transition))
}

/// A move.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequestJson {
    /// The status to move to.
    #[schema(example = "ACCEPTED")]
    pub to: String,
    /// Why: required for REJECTED, SUPPLEMENT_REQUESTED (what is missing) and
    /// ORIGINALS_MISMATCH; at most 2000 characters.
    #[serde(default)]
    pub reason: Option<String>,
    /// The dossier's `version` as the caller saw it; when given and stale, 409 `stale_version`.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Move a dossier.
///
/// Officers receive, accept, reject, ask for supplements, settle paper originals, process and
/// return; an applicant sends a dossier back after supplementing it; archivists and admins make
/// no moves. Accepting is followed by the system's originals move decided at intake
/// (ORIGINALS_WAIVED or AWAITING_ORIGINALS). Each move is recorded with its actor, time and
/// reason, and appended to the integrity log.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/transitions", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = TransitionRequestJson, content_type = "application/json"),
    responses(
        (status = 200, body = DossierJson, description = "Moved; the dossier as it is now"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: a move the caller's role does not make"),
        (status = 404, body = ErrorBody, description = "not_found (also for other applicants' dossiers)"),
        (status = 409, body = ErrorBody, description = "illegal_transition (`allowed` lists the caller's moves), stale_version, originals_required"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_json, unknown_status, reason_required, reason_too_long")),
    security(("bearer" = [])))]
async fn transition(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: TransitionRequestJson = parse_json(&headers, &body)?;
    let to = DossierStatus::parse(request.to.trim()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_status",
            format!(
                "{:?} is not a dossier status (one of {})",
                request.to,
                DossierStatus::ALL.map(|s| s.as_str()).join(", ")
            ),
        )
    })?;
    let dossier = state
        .dossiers
        .transition(
            &principal,
            &id,
            MoveRequest {
                to,
                reason: request.reason,
                version: request.version,
            },
        )
        .await?;
    Ok(json(
        StatusCode::OK,
        DossierJson::from_dossier(&dossier, true).with_moves(&principal, &dossier),
    ))
}
