//! `/api/v1/dossiers/{id}/originals`: paper originals at the counter — the officer's scans per
//! component and the decision on each.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dossier::intake::PendingFiles;
use crate::dossier::originals::{Originals, Outcome};

use super::error::multipart_error;
use super::extract::{Form, Id, JsonBody, OfDossier};
use super::wire::DocumentJson;
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dossiers/{id}/originals", get(show))
        .route(
            "/dossiers/{id}/originals/{component}",
            axum::routing::put(decide),
        )
        .route("/dossiers/{id}/originals/{component}/scans", post(scans))
        .route("/dossiers/{id}/documents", post(supplement))
}

/// Add the documents a supplement request asked for (multipart, parts named `file`): the
/// applicant, or an officer at the counter for them, while the dossier is
/// SUPPLEMENT_REQUESTED. They are stored and logged like a submission's (provenance
/// `supplement`), and the dossier goes back to RECEIVED.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/documents", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses((status = 200, body = super::wire::DossierJson, description = "The dossier, RECEIVED again"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: archivists, administrators, and the agency of a linked procedure"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not_awaiting_supplement"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn supplement(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Form(multipart): Form,
) -> Result<Response, ApiError> {
    state.dossiers.may_supplement(&principal, &id).await?;
    let files = receive_files(&state, multipart).await?;
    let dossier = state
        .dossiers
        .record_supplement(&principal, &id, files)
        .await?;
    Ok(json(
        StatusCode::OK,
        super::wire::DossierJson::from_dossier(&dossier, true)
            .with_moves(state.dossiers.moves_for(&principal, &dossier).await?),
    ))
}

/// The parts named `file` of a multipart body, streamed into the store.
async fn receive_files(
    state: &AppState,
    mut multipart: axum::extract::Multipart,
) -> Result<PendingFiles, ApiError> {
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
                "send the files as parts named \"file\"",
            ));
        }
        let filename = super::error::part_filename(&field)?;
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
    Ok(files)
}

/// One paper of the procedure at the counter.
#[derive(Serialize, ToSchema)]
pub struct ComponentJson {
    /// Component code.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// The officer's scans of the paper original (provenance `counter_scan`).
    pub scans: Vec<DocumentJson>,
    /// `matches`, `mismatch` or `missing`; absent until decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// The officer's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was decided (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
}

/// The paper originals of a dossier.
#[derive(Serialize, ToSchema)]
pub struct OriginalsJson {
    /// The dossier's status now.
    pub status: &'static str,
    /// Each paper of the procedure, in catalogue order.
    pub components: Vec<ComponentJson>,
}

/// Scans recorded.
#[derive(Serialize, ToSchema)]
pub struct ScansJson {
    /// The stored scans.
    pub scans: Vec<DocumentJson>,
    /// What is wrong with them (with `--scan-quality warn`), or left unchecked.
    pub warnings: Vec<String>,
}

/// A decision on one paper.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionJson {
    /// `matches`, `mismatch` or `missing`.
    pub outcome: String,
    /// Required unless it matches; at most 2000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

fn originals_json(o: Originals) -> OriginalsJson {
    OriginalsJson {
        status: o.status.as_str(),
        components: o
            .components
            .into_iter()
            .map(|c| ComponentJson {
                scans: c.scans.iter().map(DocumentJson::from).collect(),
                outcome: c.decision.as_ref().map(|d| d.outcome.as_str()),
                note: c.decision.as_ref().and_then(|d| d.note.clone()),
                decided_at: c.decision.as_ref().map(|d| d.at.to_string()),
                code: c.code,
                name_vi: c.name_vi,
                name_en: c.name_en,
            })
            .collect(),
    }
}

/// The paper originals of a dossier: each paper of its procedure with the officer's scans and
/// decision (the submitted documents and declared data are in the dossier itself).
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/originals", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses((status = 200, body = OriginalsJson), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
) -> Result<Response, ApiError> {
    let originals = state.dossiers.originals(&principal, &id).await?;
    Ok(json(StatusCode::OK, originals_json(originals)))
}

/// Record what the officer found for one paper original. When this settles the last paper, the
/// dossier moves on: ORIGINALS_VERIFIED if all match, else ORIGINALS_MISMATCH with the notes.
#[utoipa::path(put, path = "/api/v1/dossiers/{id}/originals/{component}", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)"),
        ("component" = String, Path, description = "Component code of the procedure")),
    request_body(content = DecisionJson, content_type = "application/json"),
    responses((status = 200, body = OriginalsJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: not an officer, or the agency of a linked procedure (the lead agency and the one-stop counter handle originals)"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not_awaiting_originals"),
        (status = 422, body = ErrorBody, description = "invalid_json, unknown_component, invalid_request (outcome, note)")),
    security(("bearer" = [])))]
async fn decide(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
    Path((_, component)): Path<(String, String)>,
    JsonBody(request): JsonBody<DecisionJson>,
) -> Result<Response, ApiError> {
    let outcome = Outcome::parse(request.outcome.trim()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!(
                "outcome {:?}: matches, mismatch or missing",
                request.outcome
            ),
        )
    })?;
    let originals = state
        .dossiers
        .decide_original(
            &principal,
            &id,
            &component,
            outcome,
            request.note.as_deref(),
        )
        .await?;
    Ok(json(StatusCode::OK, originals_json(originals)))
}

/// Upload the officer's scans of one paper original (multipart, parts named `file`: PDF, JPEG,
/// PNG or TIFF; images at least 200 dpi and in colour).
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/originals/{component}/scans", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id (UUID)"),
        ("component" = String, Path, description = "Component code of the procedure")),
    responses((status = 201, body = ScansJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: not an officer, or the agency of a linked procedure (the lead agency and the one-stop counter handle originals)"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not_awaiting_originals"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "scan_quality, unknown_component, invalid_request")),
    security(("bearer" = [])))]
async fn scans(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
    Path((_, component)): Path<(String, String)>,
    Form(multipart): Form,
) -> Result<Response, ApiError> {
    state.dossiers.may_scan(&principal, &id, &component).await?;
    let files = receive_files(&state, multipart).await?;
    let (scans, warnings) = state
        .dossiers
        .record_scans(&principal, &id, &component, files)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        ScansJson {
            scans: scans.iter().map(DocumentJson::from).collect(),
            warnings,
        },
    ))
}
