//! `/api/v1/dossiers`: submit (multipart), read, list; `/api/v1/procedures`; `/api/v1/me`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::dossier::{DossierQuery, DossierStatus, IdNumber, TaxCode};
use crate::timestamp::Timestamp;

use super::error::part_filename;
use super::error::{multipart_error, read_part_limited};
use super::extract::{Form, Id, OfDossier, TomlBody};
use super::wire::{DossierJson, DossierListJson, MeJson, ProcedureJson};
use super::{ApiError, AppState, Caller, ErrorBody, json};

/// The `dossier` part is JSON; anything larger than this is refused before it is parsed.
const MAX_DECLARATION_BYTES: usize = 256 * 1024;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dossiers", get(list).post(submit))
        .route("/dossiers/{id}", get(show))
        .route("/dossiers/{id}/reads", get(reads))
        .route("/procedures", get(procedures).put(publish))
        .route("/me", get(me))
}

/// The multipart form of a submission (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubmissionForm {
    /// JSON: `{"procedure": "business-registration", "applicant": {"tax_code": "0101234565",
    /// "name": "..."}, "title": "...", "contact": {"phone", "email", "address"}, "data": {...},
    /// "linked": [...], "unit": "CODE"}`. A citizen applicant gives `id_number` instead of
    /// `tax_code`. `unit` names the receiving unit: needed when the deployment has several and
    /// the caller is bound to none (staff bound to a unit file at their own). Must come first.
    #[schema(value_type = Object)]
    dossier: serde_json::Value,
    /// One or more files: PDF, JPEG, PNG, TIFF or CMS/PKCS#7 (.p7s), recognised by content.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// Submit a dossier.
///
/// A business may file only for its own tax code, a citizen only for their own identification
/// number; officers and admins file for anyone. Files stream into storage as they arrive.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers",
    tag = "dossiers",
    request_body(content = SubmissionForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Recorded", body = DossierJson),
        (status = 400, description = "malformed_multipart", body = ErrorBody),
        (status = 401, description = "missing_token, invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: not your applicant, a role that does not file, or staff of another unit", body = ErrorBody),
        (status = 408, description = "request_timeout: the body stalled (below --min-body-rate); nothing was recorded", body = ErrorBody),
        (status = 413, description = "file_too_large, request_too_large, document_too_large_to_process", body = ErrorBody),
        (status = 415, description = "unsupported_media_type, media_type_mismatch, invalid_pdf (unreadable, damaged, encrypted, nested too deep, or beyond the budgets that bound reading it)", body = ErrorBody),
        (status = 422, description = "missing_part, invalid_dossier, invalid_field (a tax code with a wrong check digit too), unknown_procedure, applicant_not_eligible, unit_required, unknown_unit, procedure_not_received_here, empty_file, missing_filename, unexpected_part, too_many_files", body = ErrorBody),
        (status = 429, description = "rate_limited, too_many_uploads (the caller's uploads in flight), with Retry-After", body = ErrorBody),
        (status = 503, description = "storage_unavailable, overloaded (upload slots or document memory busy; Retry-After): nothing was recorded", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn submit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Form(mut multipart): Form,
) -> Result<Response, ApiError> {
    let service = &state.dossiers;
    let mut pending = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        match field.name() {
            Some("dossier") => {
                if pending.is_some() {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "unexpected_part",
                        "only one part named \"dossier\" is allowed",
                    ));
                }
                let declaration = read_small(field).await?;
                pending = Some(service.begin_intake(&principal, &declaration).await?);
            }
            Some("file") => {
                let Some(pending) = pending.as_mut() else {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "missing_part",
                        "the part named \"dossier\" must come before the parts named \"file\"",
                    ));
                };
                let filename = part_filename(&field)?;
                let content_type = field.content_type().map(str::to_owned);
                service
                    .receive_file(pending, filename.as_deref(), content_type.as_deref(), field)
                    .await?;
            }
            other => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unexpected_part",
                    format!(
                        "unexpected part {:?}: send one part \"dossier\" and parts \"file\"",
                        other.unwrap_or("")
                    ),
                ));
            }
        }
    }
    let pending = pending.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_part",
            "a part named \"dossier\" (JSON) is required",
        )
    })?;
    let dossier = service.commit_intake(&principal, pending).await?;
    let mut response = json(
        StatusCode::CREATED,
        DossierJson::from_dossier(&dossier, true),
    );
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/dossiers/{}", dossier.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn read_small(field: axum::extract::multipart::Field<'_>) -> Result<Vec<u8>, ApiError> {
    read_part_limited(
        field,
        MAX_DECLARATION_BYTES,
        "request_too_large",
        "the dossier part",
    )
    .await
}

/// Read a dossier with its documents.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{id}",
    tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses(
        (status = 200, body = DossierJson),
        (status = 401, body = ErrorBody),
        (status = 404, description = "not_found (also for other applicants' dossiers)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
) -> Result<Response, ApiError> {
    let (dossier, moves) = state.dossiers.get_with_moves(&principal, &id).await?;
    Ok(Json(DossierJson::from_dossier(&dossier, true).with_moves(moves)).into_response())
}

/// A staff member's read of a dossier.
#[derive(serde::Serialize, ToSchema)]
pub struct DossierReadJson {
    /// When (reads of one thing by one person within ten minutes count once).
    pub at: String,
    /// The reader's name.
    pub name: Option<String>,
    /// Their role: officer, archivist or admin.
    pub role: String,
    /// The unit they work at.
    pub unit: Option<String>,
    /// Their agency.
    pub agency: Option<String>,
    /// What they opened: `dossier`, or `document:<id>` (a paper).
    pub what: String,
}

/// Who among staff opened this dossier and its papers, at which unit, when: for its applicant
/// (and staff who may see it), as the personal-data rules expect.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/reads", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id")),
    responses((status = 200, body = [DossierReadJson]), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "not_found (also for other applicants' dossiers)")),
    security(("bearer" = [])))]
async fn reads(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
) -> Result<Response, ApiError> {
    let reads = state.dossiers.reads(&principal, &id).await?;
    Ok(Json(
        reads
            .into_iter()
            .map(|r| DossierReadJson {
                at: r.at,
                name: r.name,
                role: r.role,
                unit: r.unit,
                agency: r.agency,
                what: r.what,
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// Listing filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this procedure code.
    pub(super) procedure: Option<String>,
    /// Only this status, e.g. `SUBMITTED`.
    pub(super) status: Option<String>,
    /// Only this applicant tax code.
    pub(super) tax_code: Option<String>,
    /// Only this applicant identification number.
    pub(super) id_number: Option<String>,
    /// Only this dossier code.
    pub(super) code: Option<String>,
    /// Only applicants whose name contains this text (as typed: case and accents count).
    pub(super) name: Option<String>,
    /// Only the dossier that issued this result code.
    pub(super) result_code: Option<String>,
    /// Only dossiers holding a document with this SHA-256 (hex).
    pub(super) sha256: Option<String>,
    /// Only dossiers this agency handles (as the catalogue names it).
    pub(super) agency: Option<String>,
    /// Submitted at or after this instant (RFC 3339).
    pub(super) submitted_from: Option<String>,
    /// Submitted before this instant (RFC 3339).
    pub(super) submitted_to: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub(super) limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub(super) cursor: Option<String>,
}

/// List dossiers, newest first, one page at a time.
///
/// Businesses and citizens see only their own.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers",
    tag = "dossiers",
    params(ListParams),
    responses(
        (status = 200, body = DossierListJson),
        (status = 400, description = "invalid_query", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|r| ApiError::invalid_query(r.body_text()))?;
    let page = state.dossiers.list(&principal, to_query(p)?).await?;
    Ok(Json(DossierListJson {
        items: page
            .items
            .iter()
            .map(|d| DossierJson::from_dossier(d, false))
            .collect(),
        next_cursor: page.next_cursor,
    })
    .into_response())
}

/// Parses a search as `GET /api/v1/dossiers` takes it (`procedure=...&status=...`), for the
/// command line's `archive export --query`.
pub fn parse_search(text: &str) -> Result<DossierQuery, String> {
    let params: ListParams = serde_urlencoded::from_str(text).map_err(|e| e.to_string())?;
    to_query(params).map_err(|e| e.message().to_owned())
}

pub(super) fn to_query(p: ListParams) -> Result<DossierQuery, ApiError> {
    let bad =
        |field: &str, e: &dyn std::fmt::Display| ApiError::invalid_query(format!("{field}: {e}"));
    Ok(DossierQuery {
        procedure: p.procedure,
        status: p
            .status
            .map(|s| DossierStatus::parse(&s).ok_or_else(|| bad("status", &"unknown status")))
            .transpose()?,
        tax_code: p
            .tax_code
            // A search finds records made before the check digit was enforced, too.
            .map(|t| TaxCode::parse_recorded(&t).map_err(|e| bad("tax_code", &e.rule)))
            .transpose()?,
        id_number: p
            .id_number
            .map(|n| IdNumber::parse_recorded(&n).map_err(|e| bad("id_number", &e.rule)))
            .transpose()?,
        code: p.code,
        name: p.name,
        result_code: p.result_code,
        sha256: p.sha256,
        agency: p.agency,
        submitted_from: p
            .submitted_from
            .map(|t| Timestamp::parse(&t).map_err(|e| bad("submitted_from", &e)))
            .transpose()?,
        submitted_to: p
            .submitted_to
            .map(|t| Timestamp::parse(&t).map_err(|e| bad("submitted_to", &e)))
            .transpose()?,
        limit: p.limit,
        cursor: p.cursor,
    })
}

/// The procedure catalogue.
#[utoipa::path(
    get,
    path = "/api/v1/procedures",
    tag = "procedures",
    responses((status = 200, body = Vec<ProcedureJson>), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn procedures(State(state): State<AppState>, _caller: Caller) -> Json<Vec<ProcedureJson>> {
    Json(
        state
            .dossiers
            .catalogue()
            .iter()
            .map(ProcedureJson::from)
            .collect(),
    )
}

/// Publish a procedure catalogue (administrators): the whole catalogue as TOML, in the format of
/// `catalogue/procedures.toml`. Checked (unique codes, applicants, links, components), stored,
/// logged, in force on this node at once and on every node within seconds.
#[utoipa::path(
    put,
    path = "/api/v1/procedures",
    tag = "procedures",
    request_body(content = String, content_type = "application/toml"),
    responses(
        (status = 200, body = Vec<ProcedureJson>, description = "The catalogue now in force"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: not an administrator"),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_request: the catalogue's problem")
    ),
    security(("bearer" = []))
)]
async fn publish(
    State(state): State<AppState>,
    Caller(principal): Caller,
    TomlBody(text): TomlBody,
) -> Result<Response, ApiError> {
    let catalogue = state.dossiers.publish_catalogue(&principal, &text).await?;
    Ok(json(
        StatusCode::OK,
        catalogue
            .iter()
            .map(ProcedureJson::from)
            .collect::<Vec<_>>(),
    ))
}

/// Who the token belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses((status = 200, body = MeJson), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn me(Caller(p): Caller) -> Json<MeJson> {
    Json(MeJson {
        role: p.role.as_str(),
        token_id: p.token_id,
        tax_code: p.tax_code.map(|t| t.to_string()),
        id_number: p.id_number.map(|n| n.to_string()),
        agency: p.agency,
        name: p.name,
        unit: p.unit.map(|u| u.as_str().to_owned()),
    })
}
