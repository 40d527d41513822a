//! The HTTP API (`/api/v1`, JSON) and operational endpoints.
//!
//! Owns: routes, the bearer-token extractor, request ids and request logging, the mapping of
//! domain errors to statuses and stable codes, wire types (JSON) and the OpenAPI document.
//! Never reaches: SQL or the S3 SDK; handlers call services (`dossier`) and turn their answers
//! into JSON.

mod accounts;
mod admission;
mod audits;
mod auth;
mod documents;
mod dossiers;
mod error;
mod extract;
mod ledger;
mod oidc;
mod openapi;
mod ops;
mod pages;
pub use admission::{Admission, AdmissionLimits};
mod serve;
pub use serve::{BodyStalled, ConnectionLimits, serve};
mod originals;
mod reports;
mod results;
mod signatures;
mod tokens;
mod units;
mod wire;
mod workflow;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

pub use auth::{Caller, SessionCaller};
pub use dossiers::parse_search;
pub use error::{ApiError, ErrorBody};
pub use openapi::openapi_json;

use crate::dossier::DossierService;
use crate::ledger::Ledger;
use crate::storage::ObjectStore;

/// Everything handlers need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Dossier operations.
    pub dossiers: DossierService,
    /// Results: issuing, reading, revoking, public verification.
    pub results: crate::result::ResultService,
    /// Who a bearer token stands for; administrators' token management.
    pub tokens: crate::auth::Tokens,
    /// People: accounts, sign-in, sessions.
    pub accounts: crate::auth::Accounts,
    /// Sign-in through the deployment's identity provider (OpenID Connect), if it has one.
    pub identity_provider: crate::auth::oidc::IdentityProvider,
    /// The object store (for readiness).
    pub store: ObjectStore,
    /// The integrity log.
    pub ledger: Ledger,
    /// Whether the log is readable without a token.
    pub ledger_public: bool,
    /// The object store's Object Lock capability, detected at start.
    pub object_lock: std::sync::Arc<crate::storage::ObjectLock>,
    /// Fixity audits of the object store.
    pub fixity: crate::archive::FixityAuditor,
    /// Requests in flight and per-token rates.
    pub admission: std::sync::Arc<admission::Admission>,
    /// Timeouts and paces for what clients send.
    pub connections: ConnectionLimits,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API, operations endpoints, request ids and logging.
pub fn app(state: AppState) -> Router {
    // Multipart bodies are limited by the intake itself (per file and per request, with
    // specific errors); the framework's limit sits just above so nothing is cut short.
    let body_limit = state
        .dossiers
        .limits()
        .max_request_size
        .saturating_add(16 * 1024 * 1024);
    let api = Router::new()
        .merge(dossiers::router())
        .merge(workflow::router())
        .merge(originals::router())
        .merge(tokens::router())
        .merge(accounts::router())
        .merge(oidc::router())
        .merge(units::router())
        .merge(reports::router())
        .merge(audits::router())
        .merge(documents::router())
        .merge(ledger::router())
        .merge(signatures::router())
        .merge(results::api_router())
        .merge(openapi::router())
        .fallback(api_not_found)
        .layer(DefaultBodyLimit::max(
            usize::try_from(body_limit).unwrap_or(usize::MAX),
        ));
    Router::new()
        .nest("/api/v1", api)
        .merge(ops::router())
        // The pages' uploads (a walk-in dossier, papers added) go to the same intake as the
        // API's, under the same limit.
        .merge(pages::router().layer(DefaultBodyLimit::max(
            usize::try_from(body_limit).unwrap_or(usize::MAX),
        )))
        .merge(results::public_router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admission::admit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.connections,
            serve::pace_bodies,
        ))
        .layer(axum::middleware::from_fn(request_context))
        .with_state(state)
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}

/// Outside the API: a page in the person's language for a browser, JSON for anything else.
async fn not_found(headers: axum::http::HeaderMap) -> Response {
    let e = ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page");
    if pages::wants_page(&headers) {
        pages::failure(pages::request_lang(&headers), &e)
    } else {
        e.into_response()
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

/// Gives every request an id (the client's `x-request-id` when it is sane, else a new UUID),
/// runs it inside a span carrying that id, logs its outcome, and returns the id in the response.
async fn request_context(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), elapsed_ms, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), elapsed_ms, "request");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// JSON with a status, for handlers.
pub(crate) fn json<T: serde::Serialize>(status: StatusCode, body: T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The most bytes of a JSON request body: every request the API takes as JSON is a few KiB.
const MAX_JSON_BYTES: usize = 256 * 1024;

/// A JSON request body: `application/json` (else 415), an object parsed into `T` (else 422
/// `invalid_json`, naming what is wrong).
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim() == "application/json")
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the request as application/json",
        ));
    }
    if body.len() > MAX_JSON_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("a JSON request body is at most {MAX_JSON_BYTES} bytes"),
        ));
    }
    let invalid = |e: &dyn std::fmt::Display| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
            format!("the request body is not the expected JSON: {e}"),
        )
    };
    // Every request body is an object: serde would also fill a struct from an array.
    match serde_json::from_slice(body).map_err(|e| invalid(&e))? {
        object @ serde_json::Value::Object(_) => {
            serde_json::from_value(object).map_err(|e| invalid(&e))
        }
        _ => Err(invalid(&"expected a JSON object")),
    }
}
