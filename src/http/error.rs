//! The one error type of the HTTP API: every 4xx/5xx reply is
//! `{"error": {"code": "<snake_case>", "message": "..."}}`. Codes are stable and documented in
//! the OpenAPI document; messages are for people. A 5xx body never carries internals: the detail
//! is logged (inside the request's span, so with its request id) and the body points at the
//! `x-request-id` header.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::dossier::{DossierError, IntakeError};
use crate::storage::StorageError;

/// An error reply.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    allowed: Option<Vec<String>>,
    retry_after: Option<u64>,
}

/// The most characters of a message a reply carries: messages quote what the client sent (a
/// file name, a part name, a field), and a reply must not echo a megabyte back.
const MAX_MESSAGE_CHARS: usize = 600;

/// The error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unknown_procedure`.
    #[schema(example = "unknown_procedure")]
    pub code: &'static str,
    /// Explanation for people.
    pub message: String,
    /// With `illegal_transition`: the moves the caller may make from the dossier's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["ACCEPTED", "SUPPLEMENT_REQUESTED", "REJECTED"]))]
    pub allowed: Option<Vec<String>>,
}

impl ApiError {
    /// The message given to the caller.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An error with a status, a stable code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        let mut message: String = message.into();
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
            message.truncate(cut);
            message.push('…');
        }
        Self {
            status,
            code,
            message,
            allowed: None,
            retry_after: None,
        }
    }

    /// Tells the client when to retry (`Retry-After`, seconds).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds the moves the caller may make instead (`illegal_transition`).
    pub fn with_allowed(mut self, allowed: Vec<String>) -> Self {
        self.allowed = Some(allowed);
        self
    }

    /// `404 not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// `400 invalid_query`.
    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    /// A 500 whose detail goes to the log only.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; quote the x-request-id response header when reporting it",
        )
    }

    /// A 503 (a dependency is down) whose detail goes to the log only.
    pub fn unavailable(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "storage is unavailable; nothing was recorded, please retry later",
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Seconds to wait before retrying, when the reply says.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message,
                    allowed: self.allowed,
                },
            }),
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"motcua\""),
            );
        }
        response
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        use IntakeError as E;
        let message = e.to_string();
        let (status, code) = match &e {
            E::InvalidDossier(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_dossier"),
            E::InvalidField(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            E::UnknownProcedure(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_procedure"),
            E::UnknownUnit(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit"),
            E::UnitRequired => (StatusCode::UNPROCESSABLE_ENTITY, "unit_required"),
            E::ProcedureNotReceivedHere { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "procedure_not_received_here",
            ),
            E::ApplicantNotEligible { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "applicant_not_eligible")
            }
            E::Refused(_) => (StatusCode::FORBIDDEN, "forbidden"),
            E::MissingFilename => (StatusCode::UNPROCESSABLE_ENTITY, "missing_filename"),
            E::UnsupportedClaim { .. } | E::UnrecognisedContent { .. } => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            E::Mislabelled { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "media_type_mismatch"),
            E::InvalidPdf { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_pdf"),
            E::EmptyFile { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "empty_file"),
            E::FileTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
            E::RequestTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large"),
            E::TooManyFiles { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "too_many_files"),
            E::NoFiles => (StatusCode::UNPROCESSABLE_ENTITY, "missing_part"),
            E::Body(inner) => return body_error(inner.as_ref()),
            E::Gate(g) => return g.clone().into(),
            E::Storage(s) => return storage_error(s),
            E::Db(d) => return ApiError::internal(d),
            E::Ledger(l) => return ApiError::internal(l),
            E::Internal(m) => return ApiError::internal(m),
        };
        ApiError::new(status, code, message)
    }
}

impl From<crate::unit::UnitError> for ApiError {
    fn from(e: crate::unit::UnitError) -> Self {
        use crate::unit::UnitError as U;
        let message = e.to_string();
        let (status, code) = match &e {
            U::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            U::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_unit"),
            U::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            U::Exists(_) => (StatusCode::CONFLICT, "unit_exists"),
            U::Db(_) | U::Ledger(_) | U::Corrupt(_) => return ApiError::internal(&e),
        };
        ApiError::new(status, code, message)
    }
}

impl From<crate::report::ReportError> for ApiError {
    fn from(e: crate::report::ReportError) -> Self {
        use crate::report::ReportError as R;
        match &e {
            R::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            R::UnknownUnit(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            R::Invalid(_) => ApiError::invalid_query(e.to_string()),
            R::Db(_) | R::Units(_) => ApiError::internal(&e),
        }
    }
}

impl From<crate::gate::GateError> for ApiError {
    fn from(e: crate::gate::GateError) -> Self {
        use crate::gate::GateError as G;
        let message = e.to_string();
        match e {
            G::Busy { retry_after } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                format!("{message}; nothing was recorded"),
            )
            .with_retry_after(retry_after),
            G::TooLarge { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "document_too_large_to_process",
                message,
            ),
            G::Failed(detail) => Self::internal(&detail),
        }
    }
}

/// A move the lifecycle refuses: 409 with the caller's moves from here, 403 for a move that is
/// not the caller's role's, 422 for the reason.
fn transition_error(e: crate::workflow::lifecycle::TransitionError) -> ApiError {
    use crate::workflow::lifecycle::TransitionError as T;
    let message = e.to_string();
    match e {
        T::Illegal { allowed, .. } => {
            ApiError::new(StatusCode::CONFLICT, "illegal_transition", message)
                .with_allowed(allowed.iter().map(|s| s.as_str().to_owned()).collect())
        }
        T::Forbidden { .. } => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
        T::ReasonRequired { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_required", message)
        }
        T::ReasonTooLong { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_too_long", message)
        }
    }
}

/// A failure reading the request body: too large, malformed, or the client went away.
pub fn body_error(e: &(dyn std::error::Error + 'static)) -> ApiError {
    if let Some(m) = e.downcast_ref::<axum::extract::multipart::MultipartError>() {
        return multipart_error(m);
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "malformed_body",
        format!("the request body could not be read: {e}"),
    )
}

/// A file part's name as the client sent it: `None` when the part has none; a name that is not
/// UTF-8 text (which axum reports as none) is refused as such, not as a missing name.
pub fn part_filename(
    field: &axum::extract::multipart::Field<'_>,
) -> Result<Option<String>, ApiError> {
    if let Some(name) = field.file_name() {
        return Ok(Some(name.to_owned()));
    }
    let declares_one = field
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .is_some_and(|v| {
            v.as_bytes()
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"filename="))
                || v.as_bytes()
                    .windows(10)
                    .any(|w| w.eq_ignore_ascii_case(b"filename*="))
        });
    if declares_one {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_filename",
            "the file name is not UTF-8 text; rename the file (Vietnamese letters are fine) \
             and send it again",
        ));
    }
    Ok(None)
}

/// Maps axum's multipart errors: a body over the size limit is 413, anything else 400.
pub fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("the request is larger than allowed: {}", e.body_text()),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_multipart",
            format!(
                "the multipart/form-data body is malformed: {}",
                e.body_text()
            ),
        )
    }
}

/// Reads one multipart part whole, refusing it with 413 and `code` ("{what} is larger than
/// {limit} bytes") as soon as it exceeds `limit`.
pub async fn read_part_limited(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
    code: &'static str,
    what: &str,
) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt as _;
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| multipart_error(&e))?;
        if out.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                code,
                format!("{what} is larger than {limit} bytes"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn storage_error(e: &StorageError) -> ApiError {
    match e {
        StorageError::TooLarge { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("objects larger than {limit} bytes cannot be stored"),
        ),
        other => ApiError::unavailable(other),
    }
}

impl From<DossierError> for ApiError {
    fn from(e: DossierError) -> Self {
        match e {
            DossierError::NotFound => ApiError::not_found("dossier or document"),
            DossierError::InvalidQuery(m) => ApiError::invalid_query(m),
            DossierError::Storage(StorageError::NotFound(sha)) => ApiError::internal(&format!(
                "object {sha} is recorded but missing from the store"
            )),
            DossierError::Storage(s) => storage_error(&s),
            DossierError::Transition(t) => transition_error(t),
            DossierError::Gate(g) => g.into(),
            DossierError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            DossierError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            DossierError::Disposed(m) => ApiError::new(StatusCode::GONE, "disposed", m),
            DossierError::Invalid(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m)
            }
            DossierError::ScanQuality(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "scan_quality", m)
            }
            e @ DossierError::NotAwaitingOriginals(_) => ApiError::new(
                StatusCode::CONFLICT,
                "not_awaiting_originals",
                e.to_string(),
            ),
            e @ DossierError::NotAwaitingSupplement(_) => ApiError::new(
                StatusCode::CONFLICT,
                "not_awaiting_supplement",
                e.to_string(),
            ),
            e @ DossierError::PartDone(_) => {
                ApiError::new(StatusCode::CONFLICT, "part_done", e.to_string())
            }
            e @ DossierError::PartsPending(_) => {
                ApiError::new(StatusCode::CONFLICT, "parts_pending", e.to_string())
            }
            e @ DossierError::UnknownComponent(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_component",
                e.to_string(),
            ),
            e @ DossierError::StaleVersion { .. } => {
                ApiError::new(StatusCode::CONFLICT, "stale_version", e.to_string())
            }
            e @ DossierError::OriginalsRequired => {
                ApiError::new(StatusCode::CONFLICT, "originals_required", e.to_string())
            }
            other => ApiError::internal(&other),
        }
    }
}
