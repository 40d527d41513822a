//! Results and their revocations. Both tables are insert-only: an issued result is never
//! updated, and a revocation is a row of its own (one per result at most).

use super::{Db, DbError, Tx};

/// An issued result.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResultRow {
    /// UUID.
    pub id: String,
    /// `<dossier code>-KQ<seq>`.
    pub code: String,
    /// The dossier.
    pub dossier_id: String,
    /// 1, 2, ... within the dossier.
    pub seq: i64,
    /// The template (`business_registration`, ...).
    pub kind: String,
    /// The title printed on it.
    pub title: String,
    /// The signed PDF's content address.
    pub sha256: String,
    /// Its size in bytes.
    pub size: i64,
    /// The issuing agency as printed.
    pub agency: String,
    /// The signing certificate's subject.
    pub signer: String,
    /// PAdES level (B-B, B-T, B-LT).
    pub level: String,
    /// The officer's token id.
    pub issued_by: String,
    /// Instant.
    pub issued_at: String,
    /// Its `result_issued` log entry.
    pub ledger_index: i64,
}

/// A revocation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevocationRow {
    /// The result.
    pub result_id: String,
    /// Why.
    pub reason: String,
    /// The officer's token id.
    pub revoked_by: String,
    /// Instant.
    pub revoked_at: String,
    /// Its `result_revoked` log entry.
    pub ledger_index: i64,
}

const RESULT_COLUMNS: &str = "id, code, dossier_id, seq, kind, title, sha256, size, agency, \
    signer, level, issued_by, issued_at, ledger_index";

impl Tx {
    /// Inserts a result. A second result with the same (dossier, seq) or code fails on the
    /// unique constraints: the caller retries with the next number.
    pub async fn insert_result(&mut self, r: &ResultRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO results ({RESULT_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&r.id)
            .bind(&r.code)
            .bind(&r.dossier_id)
            .bind(r.seq)
            .bind(&r.kind)
            .bind(&r.title)
            .bind(&r.sha256)
            .bind(r.size)
            .bind(&r.agency)
            .bind(&r.signer)
            .bind(&r.level)
            .bind(&r.issued_by)
            .bind(&r.issued_at)
            .bind(r.ledger_index)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Records a revocation; false when the result was already revoked (nothing written).
    pub async fn insert_revocation(&mut self, r: &RevocationRow) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO result_revocations (result_id, reason, revoked_by, revoked_at, \
             ledger_index) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (result_id) DO NOTHING",
        )
        .bind(&r.result_id)
        .bind(&r.reason)
        .bind(&r.revoked_by)
        .bind(&r.revoked_at)
        .bind(r.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether a result is revoked, read inside this transaction.
    pub async fn result_is_revoked(&mut self, result_id: &str) -> Result<bool, DbError> {
        use sqlx::Row as _;
        let row = sqlx::query("SELECT COUNT(*) FROM result_revocations WHERE result_id = $1")
            .bind(result_id)
            .fetch_one(&mut *self.inner)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }
}

impl Db {
    /// The next free result number of a dossier.
    pub async fn next_result_seq(&self, dossier_id: &str) -> Result<i64, DbError> {
        use sqlx::Row as _;
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM results WHERE dossier_id = $1")
            .bind(dossier_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? + 1)
    }

    /// A result by its code.
    pub async fn result_by_code(&self, code: &str) -> Result<Option<ResultRow>, DbError> {
        let sql = format!("SELECT {RESULT_COLUMNS} FROM results WHERE code = $1");
        Ok(sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The results whose PDF has this SHA-256.
    pub async fn results_by_sha256(&self, sha256: &str) -> Result<Vec<ResultRow>, DbError> {
        let sql = format!("SELECT {RESULT_COLUMNS} FROM results WHERE sha256 = $1 ORDER BY code");
        Ok(sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
            .bind(sha256)
            .fetch_all(self.pool())
            .await?)
    }

    /// A dossier's results, in order.
    pub async fn results_of(&self, dossier_id: &str) -> Result<Vec<ResultRow>, DbError> {
        let sql =
            format!("SELECT {RESULT_COLUMNS} FROM results WHERE dossier_id = $1 ORDER BY seq");
        Ok(sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Results with id after `after`, by id, at most `limit` (for `ledger verify`).
    pub async fn results_after(&self, after: &str, limit: i64) -> Result<Vec<ResultRow>, DbError> {
        let sql =
            format!("SELECT {RESULT_COLUMNS} FROM results WHERE id > $1 ORDER BY id LIMIT $2");
        Ok(sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// A result's revocation, if any.
    pub async fn revocation_of(&self, result_id: &str) -> Result<Option<RevocationRow>, DbError> {
        Ok(sqlx::query_as::<_, RevocationRow>(
            "SELECT result_id, reason, revoked_by, revoked_at, ledger_index \
             FROM result_revocations WHERE result_id = $1",
        )
        .bind(result_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
