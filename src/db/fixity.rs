//! Fixity audit rows.

use super::{Db, DbError, Tx};

/// One audit: all stored objects re-hashed, once.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FixityAuditRow {
    /// UUID.
    pub id: String,
    /// Instant.
    pub started_at: String,
    /// Instant; none while it runs (or was interrupted: it resumes from `cursor`).
    pub finished_at: Option<String>,
    /// The last object checked (hex SHA-256; empty at the start).
    pub cursor: String,
    /// Objects checked.
    pub checked: i64,
    /// Bytes re-hashed.
    pub bytes: i64,
    /// Objects missing, unreadable or changed.
    pub problems: i64,
    /// Its `fixity_audited` log entry, once finished.
    pub ledger_index: Option<i64>,
}

/// A problem an audit found.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FixityFindingRow {
    /// The audit.
    pub audit_id: String,
    /// The object.
    pub sha256: String,
    /// What is wrong.
    pub problem: String,
    /// Instant.
    pub found_at: String,
}

const AUDIT_COLUMNS: &str =
    "id, started_at, finished_at, cursor, checked, bytes, problems, ledger_index";

impl Db {
    /// The audit not finished yet, if any.
    pub async fn unfinished_fixity_audit(&self) -> Result<Option<FixityAuditRow>, DbError> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM fixity_audits WHERE finished_at IS NULL \
             ORDER BY started_at LIMIT 1"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_optional(self.pool())
            .await?)
    }

    /// Starts an audit.
    pub async fn start_fixity_audit(&self, id: &str, at: &str) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO fixity_audits (id, started_at, cursor, checked, bytes, problems) \
             VALUES ($1, $2, '', 0, 0, 0)",
        )
        .bind(id)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records progress: one more object checked (and its problem, if any).
    pub async fn record_fixity(
        &self,
        audit: &str,
        sha256: &str,
        bytes: i64,
        problem: Option<&str>,
        at: &str,
    ) -> Result<(), DbError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE fixity_audits SET cursor = $1, checked = checked + 1, bytes = bytes + $2, \
             problems = problems + $3 WHERE id = $4",
        )
        .bind(sha256)
        .bind(bytes)
        .bind(i64::from(problem.is_some()))
        .bind(audit)
        .execute(&mut *tx.inner)
        .await?;
        if let Some(problem) = problem {
            sqlx::query(
                "INSERT INTO fixity_findings (audit_id, sha256, problem, found_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(audit)
            .bind(sha256)
            .bind(problem)
            .bind(at)
            .execute(&mut *tx.inner)
            .await?;
        }
        tx.commit().await
    }

    /// The latest audits, newest first.
    pub async fn fixity_audits(&self, limit: i64) -> Result<Vec<FixityAuditRow>, DbError> {
        let sql =
            format!("SELECT {AUDIT_COLUMNS} FROM fixity_audits ORDER BY started_at DESC LIMIT $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// An audit's findings.
    pub async fn fixity_findings(&self, audit: &str) -> Result<Vec<FixityFindingRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT audit_id, sha256, problem, found_at FROM fixity_findings \
             WHERE audit_id = $1 ORDER BY sha256",
        )
        .bind(audit)
        .fetch_all(self.pool())
        .await?)
    }

    /// An audit by id.
    pub async fn fixity_audit(&self, id: &str) -> Result<Option<FixityAuditRow>, DbError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM fixity_audits WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }
}

impl Tx {
    /// Marks an audit finished, with its log entry.
    pub async fn finish_fixity_audit(
        &mut self,
        id: &str,
        at: &str,
        ledger_index: i64,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE fixity_audits SET finished_at = $1, ledger_index = $2 WHERE id = $3")
            .bind(at)
            .bind(ledger_index)
            .bind(id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }
}
