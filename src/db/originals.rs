//! Counter scans and the officer's decisions on paper originals.

use super::{Db, DbError, Tx};

/// A decision on one paper of a dossier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OriginalsCheckRow {
    /// UUID.
    pub id: String,
    /// The dossier.
    pub dossier_id: String,
    /// The paper (component code of the procedure).
    pub component: String,
    /// `matches`, `mismatch` or `missing`.
    pub outcome: String,
    /// The officer's note.
    pub note: Option<String>,
    /// The officer's token.
    pub checked_by: String,
    /// Instant.
    pub checked_at: String,
    /// Index of its `original_checked` log entry.
    pub ledger_index: i64,
}

impl Tx {
    /// Records a decision.
    pub async fn insert_originals_check(&mut self, r: &OriginalsCheckRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO originals_checks (id, dossier_id, component, outcome, note, checked_by, \
             checked_at, ledger_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.id)
        .bind(&r.dossier_id)
        .bind(&r.component)
        .bind(&r.outcome)
        .bind(&r.note)
        .bind(&r.checked_by)
        .bind(&r.checked_at)
        .bind(r.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// A dossier's decisions so far, oldest first (inside this transaction).
    pub async fn originals_checks_of(
        &mut self,
        dossier_id: &str,
    ) -> Result<Vec<OriginalsCheckRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, dossier_id, component, outcome, note, checked_by, checked_at, \
             ledger_index FROM originals_checks WHERE dossier_id = $1 ORDER BY checked_at, id",
        )
        .bind(dossier_id)
        .fetch_all(&mut *self.inner)
        .await?)
    }

    /// Tags a stored document as an officer's scan of `component`'s paper original.
    pub async fn mark_counter_scan(
        &mut self,
        document_id: &str,
        component: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE documents SET provenance = 'counter_scan', component = $1 WHERE id = $2",
        )
        .bind(component)
        .bind(document_id)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Sets where a stored document came from (`submitted`, `supplement`, `counter_scan`).
    pub async fn mark_provenance(
        &mut self,
        document_id: &str,
        provenance: &str,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE documents SET provenance = $1 WHERE id = $2")
            .bind(provenance)
            .bind(document_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// The next free document position of a dossier.
    pub async fn next_document_position(&mut self, dossier_id: &str) -> Result<i64, DbError> {
        let (next,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM documents WHERE dossier_id = $1",
        )
        .bind(dossier_id)
        .fetch_one(&mut *self.inner)
        .await?;
        Ok(next)
    }
}

impl Db {
    /// Decisions with id after `after`, by id, at most `limit` (for `ledger verify`).
    pub async fn originals_checks_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<OriginalsCheckRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, dossier_id, component, outcome, note, checked_by, checked_at, \
             ledger_index FROM originals_checks WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// A dossier's decisions, oldest first.
    pub async fn originals_checks_of(
        &self,
        dossier_id: &str,
    ) -> Result<Vec<OriginalsCheckRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, dossier_id, component, outcome, note, checked_by, checked_at, \
             ledger_index FROM originals_checks WHERE dossier_id = $1 ORDER BY checked_at, id",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// A dossier's counter scans: (document id, component).
    pub async fn counter_scans_of(
        &self,
        dossier_id: &str,
    ) -> Result<Vec<(String, String)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, component FROM documents WHERE dossier_id = $1 \
             AND provenance = 'counter_scan' ORDER BY position",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?)
    }
}

/// A legal hold on a dossier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LegalHoldRow {
    /// The dossier.
    pub dossier_id: String,
    /// Why.
    pub reason: String,
    /// Who placed it (token id).
    pub placed_by: String,
    /// When.
    pub placed_at: String,
    /// Its `legal_hold_placed` log entry.
    pub ledger_index: i64,
}

impl Tx {
    /// Places a hold; false when the dossier is held already.
    pub async fn place_legal_hold(&mut self, r: &LegalHoldRow) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO legal_holds (dossier_id, reason, placed_by, placed_at, ledger_index) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&r.dossier_id)
        .bind(&r.reason)
        .bind(&r.placed_by)
        .bind(&r.placed_at)
        .bind(r.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lifts a hold; false when there was none.
    pub async fn lift_legal_hold(&mut self, dossier_id: &str) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM legal_holds WHERE dossier_id = $1")
            .bind(dossier_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Db {
    /// The hold on a dossier, if any.
    pub async fn legal_hold(&self, dossier_id: &str) -> Result<Option<LegalHoldRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT dossier_id, reason, placed_by, placed_at, ledger_index FROM legal_holds \
             WHERE dossier_id = $1",
        )
        .bind(dossier_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
