//! Dossier moves: the conditional status update and the status history.

use super::{Db, DbError, Tx};

/// One recorded move of a dossier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransitionRow {
    /// UUID.
    pub id: String,
    /// The dossier.
    pub dossier_id: String,
    /// The dossier's version after the move.
    pub version: i64,
    /// Status before.
    pub from_status: String,
    /// Status after.
    pub to_status: String,
    /// `system`, `officer` or `applicant`.
    pub actor: String,
    /// The token that made the move (none for the system).
    pub actor_token: Option<String>,
    /// Why, when given.
    pub reason: Option<String>,
    /// Instant (RFC 3339 text).
    pub at: String,
    /// Index of its `dossier_transition` log entry.
    pub ledger_index: i64,
}

const TRANSITION_COLUMNS: &str = "id, dossier_id, version, from_status, to_status, actor, \
    actor_token, reason, at, ledger_index";

impl Tx {
    /// Moves a dossier from `from` to `to` if it is still in `from` (and at `version`, when
    /// given), bumping its version. Returns the new version, or `None` when the dossier moved
    /// meanwhile (the caller reloads and reports the conflict).
    pub async fn move_dossier(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        version: Option<i64>,
        now: &str,
    ) -> Result<Option<i64>, DbError> {
        const MOVE: &str = "UPDATE dossiers SET status = $1, version = version + 1, \
            updated_at = $2 WHERE id = $3 AND status = $4";
        let sql = match version {
            Some(_) => format!("{MOVE} AND version = $5 RETURNING version"),
            None => format!("{MOVE} RETURNING version"),
        };
        let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql))
            .bind(to)
            .bind(now)
            .bind(id)
            .bind(from);
        if let Some(v) = version {
            query = query.bind(v);
        }
        let row = query.fetch_optional(&mut *self.inner).await?;
        Ok(row.map(|(v,)| v))
    }

    /// A dossier's moves so far, oldest first, inside this transaction.
    pub async fn transitions_of(
        &mut self,
        dossier_id: &str,
    ) -> Result<Vec<TransitionRow>, DbError> {
        let sql = format!(
            "SELECT {TRANSITION_COLUMNS} FROM dossier_transitions WHERE dossier_id = $1 \
             ORDER BY version"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(&mut *self.inner)
            .await?)
    }

    /// Sets a dossier's due date (YYYY-MM-DD; none while it waits for the applicant).
    pub async fn set_due_on(
        &mut self,
        dossier_id: &str,
        due_on: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE dossiers SET due_on = $1 WHERE id = $2")
            .bind(due_on)
            .bind(dossier_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Records the day (Vietnam, YYYY-MM-DD) a dossier was received, unless it was received
    /// before (a dossier back from a supplement request keeps its first day).
    pub async fn set_received_on(&mut self, dossier_id: &str, day: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE dossiers SET received_on = COALESCE(received_on, $1) WHERE id = $2")
            .bind(day)
            .bind(dossier_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Records the day (Vietnam, YYYY-MM-DD) a dossier's handling ended (settled or refused).
    pub async fn set_closed_on(&mut self, dossier_id: &str, day: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE dossiers SET closed_on = $1 WHERE id = $2")
            .bind(day)
            .bind(dossier_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Records a move.
    pub async fn insert_transition(&mut self, t: &TransitionRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO dossier_transitions (id, dossier_id, version, from_status, to_status, \
             actor, actor_token, reason, at, ledger_index) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&t.id)
        .bind(&t.dossier_id)
        .bind(t.version)
        .bind(&t.from_status)
        .bind(&t.to_status)
        .bind(&t.actor)
        .bind(&t.actor_token)
        .bind(&t.reason)
        .bind(&t.at)
        .bind(t.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

impl Db {
    /// Open dossiers (received, in the counter's hands, not waiting for the applicant) due on
    /// or before `cutoff` (YYYY-MM-DD), earliest first, at most `limit`.
    pub async fn open_dossiers_due_by(
        &self,
        cutoff: &str,
        limit: i64,
    ) -> Result<Vec<super::DossierRow>, DbError> {
        let sql = format!(
            "SELECT {} FROM dossiers WHERE due_on IS NOT NULL AND due_on <= $1 \
             AND status IN ('RECEIVED', 'ACCEPTED', 'ORIGINALS_WAIVED', 'ORIGINALS_VERIFIED', \
             'ORIGINALS_MISMATCH', 'PROCESSING') ORDER BY due_on, id LIMIT $2",
            super::dossiers::DOSSIER_COLUMNS
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(cutoff)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Moves with id after `after`, by id, at most `limit` (for `ledger verify`).
    pub async fn transitions_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<TransitionRow>, DbError> {
        let sql = format!(
            "SELECT {TRANSITION_COLUMNS} FROM dossier_transitions WHERE id > $1 ORDER BY id \
             LIMIT $2"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// A dossier's moves, oldest first.
    pub async fn transitions_of(&self, dossier_id: &str) -> Result<Vec<TransitionRow>, DbError> {
        let sql = format!(
            "SELECT {TRANSITION_COLUMNS} FROM dossier_transitions WHERE dossier_id = $1 \
             ORDER BY version"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(self.pool())
            .await?)
    }
}
