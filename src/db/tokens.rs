//! API token rows.

use super::{Db, DbError};

/// A stored token (its hash, never the token).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Token id (UUID).
    pub id: String,
    /// Role name.
    pub role: String,
    /// Business tax code.
    pub tax_code: Option<String>,
    /// Citizen identification number.
    pub id_number: Option<String>,
    /// Staff agency.
    pub agency: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// A business token that also covers its branches: 1, else 0.
    pub branches: i64,
    /// A staff token's unit.
    pub unit_code: Option<String>,
}

impl Db {
    /// Stores a new token's hash and attributes.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_token(
        &self,
        id: &str,
        token_hash: &str,
        role: &str,
        tax_code: Option<&str>,
        id_number: Option<&str>,
        agency: Option<&str>,
        name: Option<&str>,
        branches: bool,
        unit_code: Option<&str>,
        created_at: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, role, tax_code, id_number, agency, name, \
             branches, unit_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(role)
        .bind(tax_code)
        .bind(id_number)
        .bind(agency)
        .bind(name)
        .bind(i64::from(branches))
        .bind(unit_code)
        .bind(created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Revokes a token (from now on it is refused); false when there is no live token with
    /// this id.
    pub async fn revoke_token(&self, id: &str, at: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND id NOT LIKE 'account:%'",
        )
        .bind(at)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The live (not revoked) token with this hash.
    pub async fn find_token(&self, token_hash: &str) -> Result<Option<TokenRow>, DbError> {
        Ok(sqlx::query_as::<_, TokenRow>(
            "SELECT id, role, tax_code, id_number, agency, name, branches, unit_code FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?)
    }
}
