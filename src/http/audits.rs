//! The archive's endpoints: `/api/v1/audits/fixity` (the fixity audits' summary and the latest
//! one's findings) and `/api/v1/dossiers/{id}/retention` and `/legal-hold` (retention, holds).
//! For archivists and administrators, except reading a retention (whoever sees the dossier).
//! Archive packages (`/api/v1/dossiers/{id}/bag`, `/api/v1/archive/bag?<search>`): BagIt bags
//! streamed as tar, for archivists.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::archive::bag::Bag;
use crate::archive::export::{ExportError, Exporter};
use axum::extract::RawQuery;

use super::extract::{Id, JsonBody, OfDossier};
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/audits/fixity", get(fixity))
        .route("/dossiers/{id}/retention", get(retention))
        .route("/dossiers/{id}/bag", get(dossier_bag))
        .route(
            "/dossiers/{id}/disposal",
            axum::routing::post(request_disposal).delete(withdraw_disposal),
        )
        .route(
            "/dossiers/{id}/disposal/approval",
            axum::routing::post(approve_disposal),
        )
        .route("/archive/bag", get(search_bag))
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
    /// Where it comes from: the procedure's, or a longer one of a paper (document class) the
    /// dossier holds.
    pub retention_from: String,
    /// The year it closed (rejected or returned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_year: Option<i32>,
    /// The first day its records may be disposed of; absent while open, permanent or held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposable_from: Option<String>,
    /// The legal hold on it: its reason and when it was placed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<LegalHoldJson>,
    /// Its disposal, asked for (`requested`) or done (`disposed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposal: Option<DisposalJson>,
}

/// A disposal.
#[derive(Serialize, ToSchema)]
pub struct DisposalJson {
    /// `requested` or `disposed`.
    pub status: &'static str,
    /// The disposal decision cited.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// When it was asked for (RFC 3339, UTC).
    pub requested_at: String,
    /// When it was approved and carried out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposed_at: Option<String>,
    /// Objects whose bytes were deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects_deleted: Option<i64>,
    /// Objects kept because a record of another dossier holds them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects_kept: Option<i64>,
}

/// A disposal request.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisposalRequestJson {
    /// The disposal decision (number and date), 1 to 200 characters.
    pub decision: String,
    /// Why (1 to 2000 characters).
    pub reason: String,
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
        retention_from: v.retention_from,
        closed_year: v.closed_year,
        disposable_from: v.disposable_from.map(|d| d.to_string()),
        legal_hold: v.legal_hold.map(|h| LegalHoldJson {
            reason: h.reason,
            placed_at: h.placed_at,
        }),
        disposal: v.disposal.map(|d| DisposalJson {
            status: if d.approved_at.is_some() {
                "disposed"
            } else {
                "requested"
            },
            decision: d.decision,
            reason: d.reason,
            requested_at: d.requested_at,
            disposed_at: d.approved_at,
            objects_deleted: d.objects_deleted,
            objects_kept: d.objects_kept,
        }),
    }
}

/// The most dossiers one bag of a search holds.
pub const MAX_BAG_DOSSIERS: usize = 1000;

fn export_error(e: ExportError) -> ApiError {
    match e {
        ExportError::Dossier(d) => d.into(),
        ExportError::Empty => ApiError::not_found("dossier"),
        e @ ExportError::Forbidden => {
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
        }
        other => ApiError::internal(&other),
    }
}

/// The bag streamed as a tar archive whose one folder is `root`.
fn tar_response(state: &AppState, bag: Bag, root: String) -> Response {
    let disposition = format!("attachment; filename=\"{root}.tar\"");
    let stream = bag.tar_stream(state.store.clone(), root);
    let mut response = Response::new(axum::body::Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/x-tar"),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A dossier's archive package (archivists): a BagIt bag (RFC 8493) as a tar archive, with its
/// documents, results and signature reports under `data/` and, under `proofs/`, each one's log
/// entry, inclusion proof and signed checkpoint. `motcua archive verify` checks it offline.
/// Logged as an archivist's read.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/bag", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses((status = 200, content_type = "application/x-tar", description = "The bag, under one folder named after the dossier code"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn dossier_bag(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
) -> Result<Response, ApiError> {
    let exporter = Exporter::new(state.dossiers.clone(), state.ledger.clone());
    let mut planned = exporter
        .plan(&principal, std::slice::from_ref(&id))
        .await
        .map_err(export_error)?;
    let code = planned.codes.pop().unwrap_or_default();
    Ok(tar_response(&state, planned.bag, code))
}

/// The archive package of every dossier a search finds (archivists; the search parameters of
/// `GET /api/v1/dossiers`, without `limit` and `cursor`), at most 1000 dossiers.
#[utoipa::path(get, path = "/api/v1/archive/bag", tag = "archive",
    responses((status = 200, content_type = "application/x-tar", description = "The bag, under one folder named motcua-bag-<date>"),
        (status = 400, body = ErrorBody, description = "invalid_query"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not_found: no dossier matches"),
        (status = 422, body = ErrorBody, description = "too_many_dossiers")),
    security(("bearer" = [])))]
async fn search_bag(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    // Refused before the search runs (the exporter checks again when it plans).
    crate::archive::export::may_export(&principal).map_err(export_error)?;
    let mut search =
        super::parse_search(query.as_deref().unwrap_or("")).map_err(ApiError::invalid_query)?;
    if search.limit.is_some() || search.cursor.is_some() {
        return Err(ApiError::invalid_query(
            "limit and cursor do not apply: the bag holds every dossier found",
        ));
    }
    let mut ids = Vec::new();
    loop {
        search.limit = Some(200);
        let page = state.dossiers.list(&principal, search.clone()).await?;
        ids.extend(page.items.into_iter().map(|d| d.id));
        if ids.len() > MAX_BAG_DOSSIERS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_dossiers",
                format!(
                    "the search finds more than {MAX_BAG_DOSSIERS} dossiers; narrow it (or use \
                     `motcua archive export --query`)"
                ),
            ));
        }
        match page.next_cursor {
            Some(c) => search.cursor = Some(c),
            None => break,
        }
    }
    let exporter = Exporter::new(state.dossiers.clone(), state.ledger.clone());
    let bag = exporter
        .plan(&principal, &ids)
        .await
        .map_err(export_error)?
        .bag;
    let root = format!("motcua-bag-{}", crate::workflow::calendar::today());
    Ok(tar_response(&state, bag, root))
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
    JsonBody(request): JsonBody<HoldRequestJson>,
) -> Result<Response, ApiError> {
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
    JsonBody(request): JsonBody<HoldRequestJson>,
) -> Result<Response, ApiError> {
    let v = state
        .dossiers
        .lift_legal_hold(&principal, &id, &request.reason)
        .await?;
    Ok(json(StatusCode::OK, retention_json(v)))
}

/// Ask for a dossier's disposal (archivists), citing the disposal decision. Refused while its
/// retention runs, for permanent records, and under a legal hold. Logged.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/disposal", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = DisposalRequestJson, content_type = "application/json"),
    responses((status = 201, body = RetentionJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not_disposable, legal_hold, disposal_requested"),
        (status = 410, body = ErrorBody, description = "disposed"),
        (status = 422, body = ErrorBody, description = "invalid_json, invalid_request")),
    security(("bearer" = [])))]
async fn request_disposal(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<DisposalRequestJson>,
) -> Result<Response, ApiError> {
    let v = state
        .dossiers
        .request_disposal(&principal, &id, &request.decision, &request.reason)
        .await?;
    Ok(json(StatusCode::CREATED, retention_json(v)))
}

/// Withdraw a disposal request not yet approved (archivists and administrators). Logged.
#[utoipa::path(delete, path = "/api/v1/dossiers/{id}/disposal", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = HoldRequestJson, content_type = "application/json"),
    responses((status = 200, body = RetentionJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "not_found: no such dossier, or no pending request"),
        (status = 410, body = ErrorBody, description = "disposed"), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn withdraw_disposal(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<HoldRequestJson>,
) -> Result<Response, ApiError> {
    let v = state
        .dossiers
        .withdraw_disposal(&principal, &id, &request.reason)
        .await?;
    Ok(json(StatusCode::OK, retention_json(v)))
}

/// Approve a pending disposal and carry it out (administrators; not the one who asked): the
/// dossier is marked disposed and the bytes of its objects that no other live record holds are
/// deleted. Rows and log entries stay. Logged (`dossier_disposed`).
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/disposal/approval", tag = "archive",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses((status = 200, body = RetentionJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "not_found: no such dossier"),
        (status = 409, body = ErrorBody, description = "no_disposal_request, legal_hold, not_disposable, disposed")),
    security(("bearer" = [])))]
async fn approve_disposal(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = state.dossiers.approve_disposal(&principal, &id).await?;
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
    let summary = state
        .fixity
        .summary(&principal, 20)
        .await
        .map_err(|e| match e {
            crate::archive::ArchiveError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            other => ApiError::internal(&other),
        })?;
    let (audits, findings) = (summary.audits, summary.findings);
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
