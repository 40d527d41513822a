//! The notification outbox.

use super::{Db, DbError, Tx};

/// One notification.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    /// UUID; also the delivery id the receiver sees.
    pub id: String,
    /// The dossier it is about.
    pub dossier_id: String,
    /// `dossier.received`, `dossier.supplement_requested`, `dossier.result_ready`.
    pub event: String,
    /// The JSON body sent.
    pub payload: String,
    /// Instant.
    pub created_at: String,
    /// Deliveries tried so far.
    pub attempts: i64,
    /// Not before this instant.
    pub next_attempt_at: String,
    /// When the receiver accepted it.
    pub delivered_at: Option<String>,
    /// When the retries ran out.
    pub failed_at: Option<String>,
    /// Why the last failed attempt failed (kept once delivered).
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, dossier_id, event, payload, created_at, attempts, next_attempt_at, \
    delivered_at, failed_at, last_error";

impl Tx {
    /// Queues a notification (in the transaction of the move that causes it).
    pub async fn enqueue_notification(&mut self, r: &OutboxRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO outbox (id, dossier_id, event, payload, created_at, attempts, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(&r.id)
        .bind(&r.dossier_id)
        .bind(&r.event)
        .bind(&r.payload)
        .bind(&r.created_at)
        .bind(&r.next_attempt_at)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

impl Db {
    /// Notifications due at `now` (not delivered, not given up), oldest first, each only once
    /// every earlier pending one about the same dossier is delivered or given up: a receiver
    /// learns of a dossier's moves in their order.
    pub async fn due_notifications(
        &self,
        now: &str,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox o WHERE delivered_at IS NULL AND failed_at IS NULL \
             AND next_attempt_at <= $1 AND NOT EXISTS (SELECT 1 FROM outbox e \
             WHERE e.dossier_id = o.dossier_id AND e.delivered_at IS NULL \
             AND e.failed_at IS NULL AND (e.created_at < o.created_at \
             OR (e.created_at = o.created_at AND e.id < o.id))) \
             ORDER BY created_at, id LIMIT $2"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Claims a notification for one delivery attempt: moves its next attempt from `seen` to
    /// `lease_until`. False when another node claimed it first.
    pub async fn claim_notification(
        &self,
        id: &str,
        seen: &str,
        lease_until: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 \
             AND delivered_at IS NULL AND failed_at IS NULL",
        )
        .bind(lease_until)
        .bind(id)
        .bind(seen)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records an attempt: delivered at `delivered`, or failed with `error` and retried at
    /// `next` (or given up at `failed`).
    pub async fn record_notification_attempt(
        &self,
        id: &str,
        delivered: Option<&str>,
        error: Option<&str>,
        next: &str,
        failed: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, delivered_at = $1, \
             last_error = COALESCE($2, last_error), \
             next_attempt_at = $3, failed_at = $4 WHERE id = $5",
        )
        .bind(delivered)
        .bind(error)
        .bind(next)
        .bind(failed)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A dossier's notifications, oldest first.
    pub async fn notifications_of(&self, dossier_id: &str) -> Result<Vec<OutboxRow>, DbError> {
        let sql =
            format!("SELECT {COLUMNS} FROM outbox WHERE dossier_id = $1 ORDER BY created_at, id");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(self.pool())
            .await?)
    }
}
