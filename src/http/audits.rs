//! The archive's endpoints: `/api/v1/audits/fixity` (the fixity audits' summary and the latest
//! one's findings) and `/api/v1/dossiers/{id}/retention` and `/legal-hold` (retention, holds).
//! For archivists and administrators, except reading a retention (whoever sees the dossier).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Role;

use super::{ApiError, AppState, Caller, ErrorBody, json, parse_json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/audits/fixity", get(fixity))
        .route("/dossiers/{id}/retention", get(retention))
        .route(
            "/dossiers/{id}/legal-hold",
            axum::routing::put(place_hold).delete(lift_hold),
        )
}

/// A dossier's retention.
#[derive(Serialize, ToSchema)]
pub struct RetentionJson {
    /// `PERMANENT` or `N years` (the procedure's, from the year the dossier closed).
    pub retention: String,
    /// The year it closed (rejected or returned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_year: Option<i32>,
    /// The first day its records may be disposed of; absent while open, permanent or held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposable_from: Option<String>,
    /// The legal hold on it: its reason and when it was placed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<LegalHoldJson>,
}

/// A legal hold.
#[derive(Serialize, ToSchema)]
pub struct LegalHoldJson {
    /// Why.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub placed_at: String,
}

/// A reason for placing or lifting a hold.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequestJson {
    /// Why (1 to 2000 characters).
    pub reason: String,
}

fn retention_json(v: crate::dossier::retention::RetentionView) -> RetentionJson {
    RetentionJson {
        retention: v.retention.describe(),
        closed_year: v.closed_year,
        disposable_from: v.disposable_from.map(|d| d.to_string()),
        legal_hold: v.legal_hold.map(|h| LegalHoldJson {
            reason: h.reason,
            placed_at: h.placed_at,
        }),
    }
}

/// A dossier's retention and legal hold.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/retention", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses((status = 200, body = RetentionJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn retention(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = state.dossiers.retention(&principal, &id).await?;
    Ok(json(StatusCode::OK, retention_json(v)))
}

/// Place a legal hold (archivists and administrators): the dossier is never disposed of while
/// held. Logged.
#[utoipa::path(put, path = "/api/v1/dossiers/{id}/legal-hold", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = HoldRequestJson, content_type = "application/json"),
    responses((status = 200, body = RetentionJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_json, invalid_request (reason; held already)")),
    security(("bearer" = [])))]
async fn place_hold(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: HoldRequestJson = parse_json(&headers, &body)?;
    let v = state
        .dossiers
        .place_legal_hold(&principal, &id, &request.reason)
        .await?;
    Ok(json(StatusCode::OK, retention_json(v)))
}

/// Lift a legal hold (archivists and administrators). Logged.
#[utoipa::path(delete, path = "/api/v1/dossiers/{id}/legal-hold", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = HoldRequestJson, content_type = "application/json"),
    responses((status = 200, body = RetentionJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "not_found: no such dossier, or no hold"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn lift_hold(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: HoldRequestJson = parse_json(&headers, &body)?;
    let v = state
        .dossiers
        .lift_legal_hold(&principal, &id, &request.reason)
        .await?;
    Ok(json(StatusCode::OK, retention_json(v)))
}

/// One fixity audit.
#[derive(Serialize, ToSchema)]
pub struct FixityAuditJson {
    /// Audit id.
    pub id: String,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// When it finished; absent while it runs (it resumes where it stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Objects re-hashed.
    pub checked: i64,
    /// Bytes re-hashed.
    pub bytes: i64,
    /// Objects missing, unreadable or changed.
    pub problems: i64,
    /// Its entry in the integrity log, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_index: Option<i64>,
}

/// A problem a fixity audit found.
#[derive(Serialize, ToSchema)]
pub struct FixityFindingJson {
    /// The object's SHA-256.
    pub sha256: String,
    /// What is wrong: missing, unreadable, changed.
    pub problem: String,
    /// When it was found.
    pub found_at: String,
}

/// The audit summary.
#[derive(Serialize, ToSchema)]
pub struct FixityJson {
    /// The latest audits, newest first (at most 20).
    pub audits: Vec<FixityAuditJson>,
    /// The newest audit's findings.
    pub findings: Vec<FixityFindingJson>,
}

/// Fixity audits: every stored object re-hashed in the background (`--fixity-interval-hours`,
/// at `--fixity-rate` MiB/s), each finished audit logged. Archivists and administrators.
#[utoipa::path(get, path = "/api/v1/audits/fixity", tag = "archive",
    responses((status = 200, body = FixityJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn fixity(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    if !matches!(principal.role, Role::Archivist | Role::Admin) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "fixity audits are for archivists and administrators",
        ));
    }
    let audits = state
        .db
        .fixity_audits(20)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let findings = match audits.first() {
        Some(a) => state
            .db
            .fixity_findings(&a.id)
            .await
            .map_err(|e| ApiError::internal(&e))?,
        None => Vec::new(),
    };
    Ok(json(
        StatusCode::OK,
        FixityJson {
            audits: audits
                .into_iter()
                .map(|a| FixityAuditJson {
                    id: a.id,
                    started_at: a.started_at,
                    finished_at: a.finished_at,
                    checked: a.checked,
                    bytes: a.bytes,
                    problems: a.problems,
                    ledger_index: a.ledger_index,
                })
                .collect(),
            findings: findings
                .into_iter()
                .map(|f| FixityFindingJson {
                    sha256: f.sha256,
                    problem: f.problem,
                    found_at: f.found_at,
                })
                .collect(),
        },
    ))
}
