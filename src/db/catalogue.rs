//! Published versions of the procedure catalogue.

use super::{Db, DbError, Tx};

/// One published catalogue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogueRow {
    /// UUID.
    pub id: String,
    /// The TOML text.
    pub toml: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// The administrator's token.
    pub published_by: String,
    /// Instant.
    pub published_at: String,
    /// Index of its `catalogue_published` log entry.
    pub ledger_index: i64,
}

impl Tx {
    /// Records a published catalogue.
    pub async fn insert_catalogue(&mut self, r: &CatalogueRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO catalogue_versions (id, toml, sha256, published_by, published_at, \
             ledger_index) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.id)
        .bind(&r.toml)
        .bind(&r.sha256)
        .bind(&r.published_by)
        .bind(&r.published_at)
        .bind(r.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

impl Db {
    /// The catalogue in force: the latest published one, if any.
    pub async fn latest_catalogue(&self) -> Result<Option<CatalogueRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, toml, sha256, published_by, published_at, ledger_index \
             FROM catalogue_versions ORDER BY ledger_index DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?)
    }
}
