//! The parts of interlinked dossiers (one per procedure).

use super::{Db, DbError, Tx};

/// One part of a dossier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartRow {
    /// The dossier.
    pub dossier_id: String,
    /// The procedure of this part.
    pub procedure_code: String,
    /// The agency that handles it.
    pub agency: String,
    /// `open` or `done`.
    pub status: String,
    /// The result that completed it.
    pub result_id: Option<String>,
    /// When.
    pub done_at: Option<String>,
    /// The unit that processes it (none: where the dossier was received).
    pub unit_code: Option<String>,
}

const COLUMNS: &str = "dossier_id, procedure_code, agency, status, result_id, done_at, unit_code";

impl Tx {
    /// Adds an open part.
    pub async fn insert_part(
        &mut self,
        dossier_id: &str,
        procedure_code: &str,
        agency: &str,
        unit_code: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO dossier_parts (dossier_id, procedure_code, agency, status, unit_code) \
             VALUES ($1, $2, $3, 'open', $4)",
        )
        .bind(dossier_id)
        .bind(procedure_code)
        .bind(agency)
        .bind(unit_code)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Marks a part done by a result; false when it was not open.
    pub async fn complete_part(
        &mut self,
        dossier_id: &str,
        procedure_code: &str,
        result_id: &str,
        at: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE dossier_parts SET status = 'done', result_id = $1, done_at = $2 \
             WHERE dossier_id = $3 AND procedure_code = $4 AND status = 'open'",
        )
        .bind(result_id)
        .bind(at)
        .bind(dossier_id)
        .bind(procedure_code)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A dossier's parts, inside this transaction.
    pub async fn parts_of(&mut self, dossier_id: &str) -> Result<Vec<PartRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM dossier_parts WHERE dossier_id = $1 ORDER BY procedure_code"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(&mut *self.inner)
            .await?)
    }
}

impl Db {
    /// A dossier's parts, by procedure code.
    pub async fn parts_of(&self, dossier_id: &str) -> Result<Vec<PartRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM dossier_parts WHERE dossier_id = $1 ORDER BY procedure_code"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(self.pool())
            .await?)
    }
}
