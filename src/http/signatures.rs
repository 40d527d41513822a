//! `/api/v1/signature-reports/{id}` (a stored verification report) and `/api/v1/verify` (verify
//! a signature now, without filing anything).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use utoipa::ToSchema;

use super::error::{multipart_error, read_part_limited};
use super::extract::{Form, Id, OfReport};
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/signature-reports/{id}", get(report))
        .route("/verify", post(verify))
}

/// A stored signature verification report (ETSI EN 319 102-1 indications).
#[utoipa::path(get, path = "/api/v1/signature-reports/{id}", tag = "signatures",
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report: indication, sub_indication, signatures[] with signer, signing time, chain, errors, warnings"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfReport>,
) -> Result<Response, ApiError> {
    let bytes = state.dossiers.signature_report(&principal, &id).await?;
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// The multipart form of a verification.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VerifyForm {
    /// A signed PDF, the file a detached signature signs, or a CMS signature that encapsulates
    /// its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A detached CMS signature (.p7s) over `file`.
    #[schema(value_type = Option<String>, format = Binary)]
    signature: Option<Vec<u8>>,
}

/// Signatures to verify are small; signed files are bounded by the per-file limit.
const MAX_SIGNATURE_PART: usize = 4 * 1024 * 1024;

async fn read_part(
    field: axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    read_part_limited(field, limit, "file_too_large", "the part").await
}

/// Which trust store a verification uses.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// `business` (default: business and citizen signers) or `agency` (government signers).
    trust: Option<String>,
}

/// Verify a signature against the business (or, with `?trust=agency`, the agency) trust store,
/// without filing anything.
#[utoipa::path(post, path = "/api/v1/verify", tag = "signatures", params(VerifyParams),
    request_body(content = VerifyForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The report (indication TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 408, description = "request_timeout: the body stalled", body = ErrorBody),
        (status = 413, description = "file_too_large, document_too_large_to_process", body = ErrorBody),
        (status = 429, description = "rate_limited, too_many_uploads", body = ErrorBody),
        (status = 503, description = "overloaded: no document memory free within the wait (Retry-After)", body = ErrorBody),
        (status = 422, description = "missing_part, unverifiable (neither a signed PDF nor a CMS signature, or a detached signature without its file)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn verify(
    State(state): State<AppState>,
    Caller(_caller): Caller,
    params: Result<axum::extract::Query<VerifyParams>, axum::extract::rejection::QueryRejection>,
    Form(mut multipart): Form,
) -> Result<Response, ApiError> {
    let axum::extract::Query(params) =
        params.map_err(|r| ApiError::invalid_query(r.body_text()))?;
    let options = match params.trust.as_deref() {
        None | Some("business") => state.dossiers.signature_options().clone(),
        Some("agency") => state
            .dossiers
            .agency_signature_options()
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unverifiable",
                    "no agency trust store is configured (MOTCUA_AGENCY_TRUST)",
                )
            })?,
        Some(other) => {
            return Err(ApiError::invalid_query(format!(
                "trust {other:?}: use business or agency"
            )));
        }
    };
    let file_limit = usize::try_from(state.dossiers.limits().max_file_size).unwrap_or(usize::MAX);
    let (mut file, mut signature) = (None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        match field.name() {
            Some("file") => file = Some(read_part(field, file_limit).await?),
            Some("signature") => signature = Some(read_part(field, MAX_SIGNATURE_PART).await?),
            other => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unexpected_part",
                    format!(
                        "unexpected part {:?}: send \"file\" and optionally \"signature\"",
                        other.unwrap_or("")
                    ),
                ));
            }
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_part",
            "a part named \"file\" is required",
        )
    })?;
    let report = crate::signature::verify_gated(
        state.dossiers.work_gate(),
        file,
        signature,
        std::sync::Arc::new(options),
    )
    .await?
    .map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unverifiable",
            e.to_string(),
        )
    })?;
    Ok(json(StatusCode::OK, report))
}
