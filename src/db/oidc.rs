//! Sign-in through an identity provider: the OpenID Connect flows in progress, and binding an
//! account to the provider's subject.

use super::{Db, DbError};

/// A flow begun and not yet finished (the state's hash, never the state).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OidcFlowRow {
    /// SHA-256 (hex) of the `state` parameter.
    pub state_hash: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where the browser goes once signed in (a path of this service).
    pub return_to: String,
    /// Instant.
    pub created_at: String,
}

impl Db {
    /// Stores a new flow, and sweeps the flows begun before `expired_before` (abandoned ones).
    pub async fn insert_oidc_flow(
        &self,
        f: &OidcFlowRow,
        expired_before: &str,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM oidc_flows WHERE created_at < $1")
            .bind(expired_before)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO oidc_flows (state_hash, pkce_verifier, nonce, return_to, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&f.state_hash)
        .bind(&f.pkce_verifier)
        .bind(&f.nonce)
        .bind(&f.return_to)
        .bind(&f.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes the flow with this state hash: it is deleted as it is read, so of two callbacks
    /// with one state (on one node or two) only one gets it.
    pub async fn take_oidc_flow(&self, state_hash: &str) -> Result<Option<OidcFlowRow>, DbError> {
        Ok(sqlx::query_as::<_, OidcFlowRow>(
            "DELETE FROM oidc_flows WHERE state_hash = $1 \
             RETURNING state_hash, pkce_verifier, nonce, return_to, created_at",
        )
        .bind(state_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Binds an account to an identity-provider subject, unless it is bound already: true when
    /// this call bound it.
    pub async fn bind_oidc_subject(
        &self,
        id: &str,
        subject: &str,
        now: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE accounts SET oidc_subject = $2, updated_at = $3 WHERE id = $1 \
             AND oidc_subject IS NULL",
        )
        .bind(id)
        .bind(subject)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
