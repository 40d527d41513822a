//! Authentication as an extractor: a handler that takes a [`Caller`] only runs for a request with
//! a valid `Authorization: Bearer <token>`; otherwise the reply is `401` (`missing_token` or
//! `invalid_token`). The token itself is never logged.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use crate::auth::Principal;

use super::{ApiError, AppState};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "send Authorization: Bearer <token> (create one with `motcua token create`)",
            )
        })?;
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
        Ok(Caller(principal))
    }
}
