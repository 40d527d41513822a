//! Administrative units and the unit each dossier was received by.

use super::{Db, DbError, Tx};

/// One administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnitRow {
    /// Its code (the first part of its dossiers' codes).
    pub code: String,
    /// Its Vietnamese name.
    pub name: String,
    /// Its level (`province`, `district`, `commune`, `department`, `agency`).
    pub level: String,
    /// The unit above it, if any.
    pub parent_code: Option<String>,
    /// Who added it: a token id, `cli` or `system`.
    pub created_by: String,
    /// Instant.
    pub created_at: String,
    /// Index of its latest log entry (`unit_added` or `unit_renamed`).
    pub ledger_index: i64,
}

impl Tx {
    /// Records a unit.
    pub async fn insert_unit(&mut self, u: &UnitRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO units (code, name, level, parent_code, created_by, created_at, \
             ledger_index) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&u.code)
        .bind(&u.name)
        .bind(&u.level)
        .bind(u.parent_code.as_deref())
        .bind(&u.created_by)
        .bind(&u.created_at)
        .bind(u.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Renames a unit; false when there is no such unit.
    pub async fn rename_unit(
        &mut self,
        code: &str,
        name: &str,
        ledger_index: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE units SET name = $2, ledger_index = $3 WHERE code = $1")
            .bind(code)
            .bind(name)
            .bind(ledger_index)
            .execute(&mut *self.inner)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Db {
    /// Every unit, by code.
    pub async fn units(&self) -> Result<Vec<UnitRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT code, name, level, parent_code, created_by, created_at, ledger_index \
                 FROM units ORDER BY code",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Marks the dossiers filed before units existed whose code starts with `<unit>-` as
    /// received by it; returns how many.
    pub async fn assign_dossiers_to_unit(&self, unit: &str) -> Result<u64, DbError> {
        let prefix = format!("{unit}-");
        let done = sqlx::query(
            "UPDATE dossiers SET unit_code = $1 \
             WHERE unit_code IS NULL AND substr(code, 1, CAST($2 AS INTEGER)) = $3",
        )
        .bind(unit)
        .bind(prefix.chars().count() as i64)
        .bind(&prefix)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// The code of a dossier no unit has been assigned to yet, if any.
    pub async fn dossier_without_unit(&self) -> Result<Option<String>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT code FROM dossiers WHERE unit_code IS NULL LIMIT 1")
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Dossiers whose recorded unit is not the first part of their code (for the audit): at
    /// most `limit` codes.
    pub async fn dossiers_off_their_unit(&self, limit: i64) -> Result<Vec<String>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT code FROM dossiers WHERE unit_code IS NULL \
             OR substr(code, 1, length(unit_code) + 1) <> unit_code || '-' \
             ORDER BY code LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
