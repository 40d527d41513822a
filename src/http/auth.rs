//! Authentication as extractors. A handler that takes a [`Caller`] only runs for a request with
//! a valid `Authorization: Bearer <token>`, or with a live session cookie
//! ([`crate::auth::accounts::SESSION_COOKIE`]) whose session is complete and which, for a
//! state-changing method, echoes the session's CSRF token in `X-CSRF-Token`. Otherwise the reply
//! is `401` (`missing_token`, `invalid_token`, `session_expired`), or `403` (`csrf`,
//! `second_factor_enrolment_required`). [`SessionCaller`] takes only a session, complete or
//! still enrolling its second factor. Neither the token nor the session secret is ever logged.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderName, Method, StatusCode, header};

use crate::auth::Principal;
use crate::auth::accounts::{LiveSession, SESSION_COOKIE};

use super::{ApiError, AppState};

/// The header state-changing requests made with a session cookie carry.
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

/// A caller signed in with a session (complete or not), and the session.
#[derive(Debug, Clone)]
pub struct SessionCaller(pub LiveSession);

/// The client's address, as the connection shows it.
pub(super) fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            return bearer(value, state).await.map(Caller);
        }
        let Some(session) = session(parts, state).await? else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "sign in (POST /api/v1/session) or send Authorization: Bearer <token> (create \
                 one with `motcua token create`)",
            ));
        };
        if session.enrol_only {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "second_factor_enrolment_required",
                "this account must enrol a second factor first (POST \
                 /api/v1/account/second-factor)",
            ));
        }
        Ok(Caller(session.principal))
    }
}

impl FromRequestParts<AppState> for SessionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        session(parts, state)
            .await?
            .map(SessionCaller)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "no_session",
                    "sign in first (POST /api/v1/session)",
                )
            })
    }
}

async fn bearer(value: &header::HeaderValue, state: &AppState) -> Result<Principal, ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the bearer token is not valid",
        )
    };
    let text = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid());
    }
    let principal = state
        .tokens
        .authenticate(token.trim())
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(invalid)?;
    tracing::debug!(token_id = %principal.token_id, role = %principal.role, "authenticated");
    Ok(principal)
}

/// The value of the request's cookie `name`, if it has one that is not empty.
pub(super) fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The session cookie's value, if the request has one.
pub(super) fn session_secret(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The live session of the request's cookie (none without a cookie; 401 `session_expired` for
/// a cookie whose session has ended), with the CSRF check for state-changing methods.
async fn session(parts: &Parts, state: &AppState) -> Result<Option<LiveSession>, ApiError> {
    let Some(secret) = session_secret(&parts.headers) else {
        return Ok(None);
    };
    let session = state.accounts.session(&secret).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "session_expired",
            "the session has ended (signed out, unused too long, or too old): sign in again",
        )
    })?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !session.csrf_matches(sent) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "a request made with the session cookie that changes something must send the \
                 session's csrf_token as the X-CSRF-Token header",
            ));
        }
    }
    tracing::debug!(account = %session.account_id, role = %session.principal.role, "session");
    Ok(Some(session))
}
