//! `/api/v1/tokens`: administrators create and revoke API tokens (as `motcua token create` does
//! from the command line). The token is in the creation reply only; the database keeps its hash.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{delete, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{NewToken, Role, TokenError};
use crate::vocabulary::{IdNumber, TaxCode, UnitCode};

use super::extract::JsonBody;
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", post(create))
        .route("/tokens/{id}", delete(revoke))
}

/// A token to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequestJson {
    /// business, citizen, officer, archivist or admin.
    pub role: String,
    /// A business's tax code (required for business).
    #[serde(default)]
    pub tax_code: Option<String>,
    /// A citizen's identification number (required for citizen).
    #[serde(default)]
    pub id_number: Option<String>,
    /// A staff member's agency, as the procedure catalogue names it (an officer with one sees
    /// only that agency's dossiers).
    #[serde(default)]
    pub agency: Option<String>,
    /// A display name.
    #[serde(default)]
    pub name: Option<String>,
    /// A business token that also covers its branches (`<tax code>-NNN`).
    #[serde(default)]
    pub branches: bool,
    /// A staff token's unit: it sees and files only there (an officer at that unit, an
    /// archivist or administrator there and below). A unit's administrator must give one of
    /// its own reach.
    #[serde(default)]
    pub unit: Option<String>,
}

/// A created token.
#[derive(Serialize, ToSchema)]
pub struct CreatedTokenJson {
    /// The token's id (for revoking it).
    pub id: String,
    /// The token: shown this once, never again.
    pub token: String,
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            TokenError::Invalid(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_token_request",
                e.to_string(),
            ),
            other => ApiError::internal(&other),
        }
    }
}

/// Create a token (administrators).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body(content = TokenRequestJson, content_type = "application/json"),
    responses((status = 201, body = CreatedTokenJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "invalid_json, invalid_token_request")),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(r): JsonBody<TokenRequestJson>,
) -> Result<Response, ApiError> {
    let (id, token) = create_token(&state, &principal, r).await?;
    Ok(json(StatusCode::CREATED, CreatedTokenJson { id, token }))
}

/// Creates a token as `principal` asks (the API's handler and the administrator's page): its
/// id and the token itself, which exists nowhere else.
pub(super) async fn create_token(
    state: &AppState,
    principal: &crate::auth::Principal,
    r: TokenRequestJson,
) -> Result<(String, String), ApiError> {
    let request = new_token(r, "invalid_token_request")?;
    let catalogue = state.dossiers.catalogue();
    let reach = state.dossiers.units_in_reach(principal).await?;
    Ok(state
        .tokens
        .create_by(
            principal,
            request,
            &|agency| catalogue.iter().any(|p| p.agency == agency),
            &|unit| reach.iter().any(|u| u == unit),
        )
        .await?)
}

/// The rights a token or account request names, parsed (else 422 with `code`).
pub(super) fn new_token(r: TokenRequestJson, code: &'static str) -> Result<NewToken, ApiError> {
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, m);
    let role = Role::parse(r.role.trim()).ok_or_else(|| {
        invalid(format!(
            "role {:?}: business, citizen, officer, archivist or admin",
            r.role
        ))
    })?;
    Ok(NewToken {
        role,
        tax_code: r
            .tax_code
            .as_deref()
            .map(TaxCode::parse)
            .transpose()
            .map_err(|e| invalid(format!("tax_code: {}", e.rule)))?,
        id_number: r
            .id_number
            .as_deref()
            .map(IdNumber::parse)
            .transpose()
            .map_err(|e| invalid(format!("id_number: {}", e.rule)))?,
        agency: r.agency,
        name: r.name,
        branches: r.branches,
        unit: r
            .unit
            .as_deref()
            .map(|u| UnitCode::parse(u.trim()))
            .transpose()
            .map_err(|e| invalid(format!("unit: {}", e.rule)))?,
    })
}

/// Revoke a token (administrators): from now on it is refused.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn revoke(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !state.tokens.revoke_by(&principal, &id).await? {
        return Err(ApiError::not_found("token"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
