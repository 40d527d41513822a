//! Authentication as an extractor: a handler that takes a [`Caller`] only runs for a request with
//! a valid `Authorization: Bearer <token>`; otherwise the reply is `401` (`missing_token` or
//! `invalid_token`). The token itself is never logged.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use crate::auth::{Principal, Role, hash_token};
use crate::dossier::{IdNumber, TaxCode};

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
        let row = state
            .db
            .find_token(&hash_token(token.trim()).to_hex())
            .await
            .map_err(|e| ApiError::internal(&e))?
            .ok_or_else(invalid)?;
        let role = Role::parse(&row.role)
            .ok_or_else(|| ApiError::internal(&format!("token {} has unknown role", row.id)))?;
        let principal = Principal {
            token_id: row.id,
            role,
            // As recorded when the token was made (before the check digit was enforced, too).
            tax_code: row
                .tax_code
                .as_deref()
                .and_then(|t| TaxCode::parse_recorded(t).ok()),
            id_number: row
                .id_number
                .as_deref()
                .and_then(|n| IdNumber::parse_recorded(n).ok()),
            agency: row.agency,
            name: row.name,
            branches: row.branches != 0,
        };
        tracing::debug!(token_id = %principal.token_id, role = %principal.role, "authenticated");
        Ok(Caller(principal))
    }
}
