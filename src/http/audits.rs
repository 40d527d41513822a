//! `/api/v1/audits/fixity`: the fixity audits' summary and the latest one's findings, for
//! archivists and administrators.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Role;

use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/audits/fixity", get(fixity))
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
