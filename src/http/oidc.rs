//! Sign-in through the identity provider over HTTP: `GET /api/v1/session/oidc` sends the
//! browser to the provider, `GET /api/v1/session/oidc/callback` is where it comes back and gets
//! its session cookie. The flow's `state` rides in a cookie of its own between the two; the
//! decisions are `auth::oidc::IdentityProvider`'s.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::oidc::{Callback, FLOW_LIFETIME, OidcError};

use super::accounts::{Address, PrivateTransport, cookie};
use super::{ApiError, AppState, ErrorBody};

/// The cookie that keeps a flow's `state` in the browser that began it, until the callback.
const STATE_COOKIE: &str = "__Host-motcua-oidc";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/session/oidc", get(begin))
        .route("/session/oidc/callback", get(callback))
}

impl From<OidcError> for ApiError {
    fn from(e: OidcError) -> Self {
        let status = match &e {
            OidcError::NotConfigured => StatusCode::NOT_FOUND,
            OidcError::Unavailable(detail) => {
                tracing::warn!(%detail, "identity provider unavailable");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "identity_provider_unavailable",
                    "the identity provider cannot be reached just now; try again shortly",
                )
                .with_retry_after(5);
            }
            OidcError::InvalidReturnTo
            | OidcError::InvalidState
            | OidcError::Expired
            | OidcError::ProviderError(_)
            | OidcError::IssuerMismatch
            | OidcError::CodeRefused(_) => StatusCode::BAD_REQUEST,
            OidcError::InvalidIdToken(_) => StatusCode::UNAUTHORIZED,
            OidcError::Denied(_)
            | OidcError::InvalidClaim { .. }
            | OidcError::NoAccount
            | OidcError::Disabled => StatusCode::FORBIDDEN,
            OidcError::Account(a) => return ApiError::internal(a),
            OidcError::Db(d) => return ApiError::internal(d),
        };
        let code = match &e {
            OidcError::NotConfigured => "identity_provider_not_configured",
            OidcError::InvalidReturnTo => "invalid_return_to",
            OidcError::InvalidState => "invalid_state",
            OidcError::Expired => "sign_in_expired",
            OidcError::Denied(_) => "sign_in_denied",
            OidcError::ProviderError(_) => "identity_provider_error",
            OidcError::IssuerMismatch => "issuer_mismatch",
            OidcError::CodeRefused(_) => "code_refused",
            OidcError::InvalidIdToken(_) => "invalid_id_token",
            OidcError::InvalidClaim { .. } => "invalid_identity_claim",
            OidcError::NoAccount => "no_account_for_identity",
            _ => "account_disabled",
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// Where to go once signed in.
#[derive(Deserialize)]
struct BeginQuery {
    return_to: Option<String>,
}

/// What the provider sends back (RFC 6749 §4.1.2; RFC 9207's `iss`).
#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

fn query<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("the query is not understood: {e}"),
        )
    })
}

/// A 303 to `location`, not cached.
fn see_other(location: &str) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(location)
        .map_err(|_| ApiError::internal(&"a redirect location that is no header value"))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The state cookie holding `state`, or (none) the one that clears it.
fn state_cookie(state: Option<&str>) -> HeaderValue {
    let text = match state {
        Some(s) => format!(
            "{STATE_COOKIE}={s}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
            FLOW_LIFETIME.as_secs()
        ),
        None => format!("{STATE_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The state cookie's value, if the request has one.
fn kept_state(headers: &HeaderMap) -> Option<String> {
    super::auth::cookie_value(headers, STATE_COOKIE)
}

/// Sign in through the identity provider: a 303 to the provider's sign-in page (authorization
/// code flow with PKCE), which sends the browser back to the callback. `return_to`, a path of
/// this service, is where the browser goes once signed in (default `/`).
#[utoipa::path(get, path = "/api/v1/session/oidc", tag = "sessions",
    params(("return_to" = Option<String>, Query, description = "A path of this service to go to once signed in, such as /dossiers")),
    responses((status = 303, description = "To the identity provider; the flow's state cookie is set"),
        (status = 400, body = ErrorBody, description = "invalid_return_to, invalid_query"),
        (status = 404, body = ErrorBody, description = "identity_provider_not_configured"),
        (status = 503, body = ErrorBody, description = "identity_provider_unavailable, with Retry-After")))]
async fn begin(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q: BeginQuery = query(raw.as_deref())?;
    let begun = state
        .identity_provider
        .begin(q.return_to.as_deref())
        .await?;
    let mut response = see_other(&begun.url)?;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, state_cookie(Some(&begun.state)));
    Ok(response)
}

/// Where the identity provider sends the browser back: the code is exchanged, the ID token
/// verified, its claims mapped to an account (staff by subject or username claim, citizens by
/// identification number, businesses by tax code; an applicant's account is made at their
/// first sign-in), and a 303 to `return_to` sets the session cookie. The session needs no local
/// second factor: the provider owns how people prove who they are. A flow is good once, in the
/// browser that began it, for ten minutes, on any node.
#[utoipa::path(get, path = "/api/v1/session/oidc/callback", tag = "sessions",
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query),
        ("error" = Option<String>, Query), ("error_description" = Option<String>, Query),
        ("iss" = Option<String>, Query)),
    responses((status = 303, description = "Signed in: to return_to, with the session cookie set"),
        (status = 400, body = ErrorBody, description = "invalid_state, sign_in_expired, identity_provider_error, issuer_mismatch, code_refused, invalid_query"),
        (status = 401, body = ErrorBody, description = "invalid_id_token"),
        (status = 403, body = ErrorBody, description = "sign_in_denied, no_account_for_identity, account_disabled, invalid_identity_claim"),
        (status = 404, body = ErrorBody, description = "identity_provider_not_configured"),
        (status = 503, body = ErrorBody, description = "identity_provider_unavailable, with Retry-After")))]
async fn callback(
    State(state): State<AppState>,
    _: PrivateTransport,
    Address(address): Address,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q: CallbackQuery = query(raw.as_deref())?;
    let signed_in = state
        .identity_provider
        .finish(Callback {
            code: q.code,
            state: q.state,
            error: q.error,
            error_description: q.error_description,
            iss: q.iss,
            browser_state: kept_state(&headers),
            address,
        })
        .await;
    let mut response = match signed_in {
        Ok(done) => {
            let mut r = see_other(done.return_to.as_str())?;
            r.headers_mut()
                .append(header::SET_COOKIE, cookie(Some(&done.session.secret)));
            r
        }
        Err(e) => ApiError::from(e).into_response(),
    };
    // The flow is over either way (taken, or never this browser's).
    response
        .headers_mut()
        .append(header::SET_COOKIE, state_cookie(None));
    Ok(response)
}
