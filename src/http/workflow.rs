//! `/api/v1/dossiers/{id}/transitions`: moving a dossier through its lifecycle;
//! `/api/v1/deadlines`: overdue and due-soon dossiers per agency.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::dossier::{DossierStatus, MoveRequest};

use super::extract::JsonBody;
use super::wire::DossierJson;
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dossiers/{id}/transitions", post(transition))
        .route("/deadlines", get(deadlines))
}

/// Deadline list parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineParams {
    /// Due soon: due within this many working days from today, 0 to 60 (default 2).
    within: Option<u32>,
    /// Only this agency (as the procedure catalogue names it).
    agency: Option<String>,
}

/// Overdue and due-soon dossiers of one agency.
#[derive(Serialize, ToSchema)]
pub struct AgencyDeadlinesJson {
    /// The agency responsible for their procedures.
    pub agency: String,
    /// Past their due date, earliest first.
    pub overdue: Vec<DossierJson>,
    /// Due today or within the window, earliest first.
    pub due_soon: Vec<DossierJson>,
}

/// The deadline lists.
#[derive(Serialize, ToSchema)]
pub struct DeadlinesJson {
    /// Today in Vietnam (YYYY-MM-DD).
    pub today: String,
    /// Due soon means due on or before this day.
    pub due_soon_until: String,
    /// Per agency, by name.
    pub agencies: Vec<AgencyDeadlinesJson>,
    /// Whether the lists stopped at their limit (1000 dossiers).
    pub truncated: bool,
}

/// Overdue and due-soon dossiers, per agency.
///
/// Open dossiers only (received and in the counter's hands; those waiting for the applicant
/// have no due date). Staff only.
#[utoipa::path(get, path = "/api/v1/deadlines", tag = "dossiers", params(DeadlineParams),
    responses(
        (status = 200, body = DeadlinesJson),
        (status = 400, body = ErrorBody, description = "invalid_query"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: applicants")),
    security(("bearer" = [])))]
async fn deadlines(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<DeadlineParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::invalid_query(e.body_text()))?;
    let d = state
        .dossiers
        .deadlines(
            &principal,
            crate::workflow::calendar::today(),
            params.within.unwrap_or(2),
            params.agency.as_deref(),
        )
        .await?;
    let list = |v: &[crate::dossier::Dossier]| {
        v.iter()
            .map(|d| DossierJson::from_dossier(d, false))
            .collect()
    };
    Ok(json(
        StatusCode::OK,
        DeadlinesJson {
            today: d.today.to_string(),
            due_soon_until: d.due_soon_until.to_string(),
            agencies: d
                .agencies
                .iter()
                .map(|a| AgencyDeadlinesJson {
                    agency: a.agency.clone(),
                    overdue: list(&a.overdue),
                    due_soon: list(&a.due_soon),
                })
                .collect(),
            truncated: d.truncated,
        },
    ))
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
/// no moves. On an interlinked dossier only the lead agency (the dossier's own procedure's) and
/// the one-stop counter move it; a linked procedure's agency acts only on its own part. Accepting is followed by the system's originals move decided at intake
/// (ORIGINALS_WAIVED or AWAITING_ORIGINALS). Each move is recorded with its actor, time and
/// reason, and appended to the integrity log.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/transitions", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = TransitionRequestJson, content_type = "application/json"),
    responses(
        (status = 200, body = DossierJson, description = "Moved; the dossier as it is now"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: a move the caller's role does not make, or a dossier the caller sees but does not move (the agency of a linked procedure)"),
        (status = 404, body = ErrorBody, description = "not_found (also for other applicants' dossiers)"),
        (status = 409, body = ErrorBody, description = "illegal_transition (`allowed` lists the caller's moves), stale_version, originals_required"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_json, unknown_status, reason_required, reason_too_long")),
    security(("bearer" = [])))]
async fn transition(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TransitionRequestJson>,
) -> Result<Response, ApiError> {
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
        DossierJson::from_dossier(&dossier, true)
            .with_moves(state.dossiers.moves_for(&principal, &dossier).await?),
    ))
}
