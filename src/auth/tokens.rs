//! The token service: who a bearer token stands for, and the administrators' token management
//! (create, revoke), over the token rows of `db`. The API and the command line both go through
//! it; `http` never reads token rows itself.

use crate::db::{Db, DbError};
use crate::timestamp::Timestamp;
use crate::vocabulary::{IdNumber, TaxCode, UnitCode};

use super::{NewToken, Principal, Role, TokenRequestError, generate_token, hash_token};

/// Token management and authentication.
#[derive(Debug, Clone)]
pub struct Tokens {
    db: Db,
}

/// Why a token operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The caller's role may not manage tokens.
    #[error("only administrators manage tokens")]
    Forbidden,
    /// The request does not fit its role or breaks a text rule.
    #[error(transparent)]
    Invalid(#[from] TokenRequestError),
    /// A stored token names a role this version does not know.
    #[error("token {0} has an unknown role")]
    UnknownRole(String),
    /// A stored token does not parse: it was changed outside motcua.
    #[error("{0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Tokens {
    /// The service over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The principal a presented token stands for; `None` when no live token has this secret.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, TokenError> {
        let Some(row) = self.db.find_token(&hash_token(secret).to_hex()).await? else {
            return Ok(None);
        };
        let role = Role::parse(&row.role).ok_or_else(|| TokenError::UnknownRole(row.id.clone()))?;
        let unit = row
            .unit_code
            .as_deref()
            .map(UnitCode::parse)
            .transpose()
            .map_err(|e| TokenError::Corrupt(format!("token {}: unit: {}", row.id, e.rule)))?;
        Ok(Some(Principal {
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
            unit,
        }))
    }

    /// Creates a token and returns its id and secret (shown once; only its hash is stored).
    /// The request's role requirements and texts are checked here; its agency must have been
    /// checked against the catalogue in force by the caller ([`NewToken::validate`]), as
    /// [`Tokens::create_by`] does.
    pub async fn create(&self, request: &NewToken) -> Result<(String, String), TokenError> {
        request.clone().validate(&|_| true, &|_| true)?;
        let token = generate_token();
        let id = uuid::Uuid::new_v4().to_string();
        self.db
            .insert_token(
                &id,
                &token.hash.to_hex(),
                request.role.as_str(),
                request.tax_code.as_ref().map(|t| t.as_str()),
                request.id_number.as_ref().map(|n| n.as_str()),
                request.agency.as_deref(),
                request.name.as_deref(),
                request.branches,
                request.unit.as_ref().map(UnitCode::as_str),
                &Timestamp::now().to_string(),
            )
            .await?;
        Ok((id, token.secret))
    }

    /// An administrator creates a token; `known_agency` says which agencies the catalogue in
    /// force names, `known_unit` which units the administrator may bind it to (those in
    /// their reach).
    pub async fn create_by(
        &self,
        principal: &Principal,
        mut request: NewToken,
        known_agency: &(dyn Fn(&str) -> bool + Sync),
        known_unit: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<(String, String), TokenError> {
        admin_only(principal)?;
        if principal.unit.is_some() && request.unit.is_none() {
            return Err(TokenError::Invalid(TokenRequestError::UnitRequired));
        }
        request.validate(known_agency, known_unit)?;
        let created = self.create(&request).await?;
        tracing::info!(token = %created.0, role = request.role.as_str(),
            by = %principal.token_id, "token created");
        Ok(created)
    }

    /// An administrator revokes a token: from now on it is refused. False when there is no
    /// live token with this id.
    pub async fn revoke_by(&self, principal: &Principal, id: &str) -> Result<bool, TokenError> {
        admin_only(principal)?;
        let revoked = self
            .db
            .revoke_token(id, &Timestamp::now().to_string())
            .await?;
        if revoked {
            tracing::info!(token = %id, by = %principal.token_id, "token revoked");
        }
        Ok(revoked)
    }
}

fn admin_only(principal: &Principal) -> Result<(), TokenError> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(TokenError::Forbidden)
    }
}
