//! Archive rows: imported records and disposals.

use sqlx::Row as _;

use super::{Db, DbError, Tx};

/// A record imported from an existing archive.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportRow {
    /// The source's code for it (unique: importing it again is a no-op).
    pub source_code: String,
    /// The dossier made for it.
    pub dossier_id: String,
    /// The day it closed (YYYY-MM-DD).
    pub closed_on: String,
    /// The import run's token id.
    pub imported_by: String,
    /// Instant.
    pub imported_at: String,
    /// Its `record_imported` entry.
    pub ledger_index: i64,
}

/// A disposal, asked for and perhaps approved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisposalRow {
    /// The dossier.
    pub dossier_id: String,
    /// The disposal decision's reference.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// The archivist's token id.
    pub requested_by: String,
    /// Instant.
    pub requested_at: String,
    /// Its `disposal_requested` entry.
    pub request_index: i64,
    /// The administrator's token id, once approved.
    pub approved_by: Option<String>,
    /// Instant, once approved.
    pub approved_at: Option<String>,
    /// Its `dossier_disposed` entry, once approved.
    pub approval_index: Option<i64>,
    /// Objects whose bytes were deleted.
    pub objects_deleted: Option<i64>,
    /// Objects kept because another live record holds them.
    pub objects_kept: Option<i64>,
}

const DOSSIER_OBJECTS: &str = "SELECT sha256 FROM documents WHERE dossier_id = $1 \
    UNION SELECT sha256 FROM results WHERE dossier_id = $1 \
    UNION SELECT report_sha256 FROM signature_reports WHERE dossier_id = $1 ORDER BY 1";

const IMPORT_COLUMNS: &str =
    "source_code, dossier_id, closed_on, imported_by, imported_at, ledger_index";
const DISPOSAL_COLUMNS: &str = "dossier_id, decision, reason, requested_by, requested_at, \
    request_index, approved_by, approved_at, approval_index, objects_deleted, objects_kept";

impl Db {
    /// The import of this source code, if done.
    pub async fn archive_import(&self, source_code: &str) -> Result<Option<ImportRow>, DbError> {
        self.import_where("source_code", source_code).await
    }

    /// The import that made this dossier, if it was imported.
    pub async fn archive_import_of(&self, dossier_id: &str) -> Result<Option<ImportRow>, DbError> {
        self.import_where("dossier_id", dossier_id).await
    }

    async fn import_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<ImportRow>, DbError> {
        let sql = format!("SELECT {IMPORT_COLUMNS} FROM archive_imports WHERE {column} = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(self.pool())
            .await?)
    }

    /// A dossier's disposal, if one was asked for.
    pub async fn disposal(&self, dossier_id: &str) -> Result<Option<DisposalRow>, DbError> {
        let sql = format!("SELECT {DISPOSAL_COLUMNS} FROM disposals WHERE dossier_id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The papers (component codes) a dossier's documents are, each once: its document
    /// classes.
    pub async fn document_components(&self, dossier_id: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT DISTINCT component FROM documents WHERE dossier_id = $1 \
             AND component IS NOT NULL ORDER BY component",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(DbError::from))
            .collect()
    }

    /// [`Tx::dossier_objects`], outside a transaction.
    pub async fn dossier_objects(&self, dossier_id: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(DOSSIER_OBJECTS)
            .bind(dossier_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(DbError::from))
            .collect()
    }

    /// Records that an object is locked until `until` (RFC 3339), unless it is recorded as
    /// locked longer already.
    pub async fn set_locked_until(&self, sha256: &str, until: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE objects SET locked_until = $1 WHERE sha256 = $2 \
             AND (locked_until IS NULL OR locked_until < $1)",
        )
        .bind(until)
        .bind(sha256)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Dossiers holding a live object not locked yet, at most `limit`.
    pub async fn dossiers_with_unlocked_objects(&self, limit: i64) -> Result<Vec<String>, DbError> {
        const UNLOCKED: &str = "o.locked_until IS NULL AND o.disposed_at IS NULL";
        let sql = format!(
            "SELECT DISTINCT dossier_id FROM (\
             SELECT d.dossier_id FROM documents d JOIN objects o ON o.sha256 = d.sha256 \
             WHERE {UNLOCKED} \
             UNION SELECT r.dossier_id FROM results r JOIN objects o ON o.sha256 = r.sha256 \
             WHERE {UNLOCKED} \
             UNION SELECT s.dossier_id FROM signature_reports s \
             JOIN objects o ON o.sha256 = s.report_sha256 WHERE {UNLOCKED}) AS u \
             ORDER BY dossier_id LIMIT $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(DbError::from))
            .collect()
    }

    /// Whether the object's bytes were disposed of.
    pub async fn object_disposed(&self, sha256: &str) -> Result<bool, DbError> {
        let row = sqlx::query("SELECT disposed_at FROM objects WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>(0))
            .transpose()?
            .flatten()
            .is_some())
    }
}

impl Db {
    /// Imports with dossier id after `after`, by dossier id, at most `limit` (for verification).
    pub async fn archive_imports_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<ImportRow>, DbError> {
        let sql = format!(
            "SELECT {IMPORT_COLUMNS} FROM archive_imports WHERE dossier_id > $1 \
             ORDER BY dossier_id LIMIT $2"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Disposals with dossier id after `after`, by dossier id, at most `limit`: the approved
    /// ones, or the pending requests.
    pub async fn disposals_after(
        &self,
        after: &str,
        limit: i64,
        approved: bool,
    ) -> Result<Vec<DisposalRow>, DbError> {
        let state = if approved { "IS NOT NULL" } else { "IS NULL" };
        let sql = format!(
            "SELECT {DISPOSAL_COLUMNS} FROM disposals WHERE dossier_id > $1 \
             AND approved_at {state} ORDER BY dossier_id LIMIT $2"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Legal holds with dossier id after `after`, by dossier id, at most `limit`.
    pub async fn legal_holds_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<super::LegalHoldRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT dossier_id, reason, placed_by, placed_at, ledger_index FROM legal_holds \
             WHERE dossier_id > $1 ORDER BY dossier_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Disposed objects with digest after `after`, by digest, at most `limit`.
    pub async fn disposed_objects_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT sha256 FROM objects WHERE sha256 > $1 AND disposed_at IS NOT NULL \
             ORDER BY sha256 LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(DbError::from))
            .collect()
    }
}

impl Tx {
    /// Sets a document's provenance and the paper (component) it is.
    pub async fn tag_document(
        &mut self,
        document_id: &str,
        provenance: &str,
        component: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE documents SET provenance = $1, component = $2 WHERE id = $3")
            .bind(provenance)
            .bind(component)
            .bind(document_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Records an import.
    pub async fn insert_archive_import(&mut self, r: &ImportRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO archive_imports (source_code, dossier_id, closed_on, imported_by, \
             imported_at, ledger_index) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.source_code)
        .bind(&r.dossier_id)
        .bind(&r.closed_on)
        .bind(&r.imported_by)
        .bind(&r.imported_at)
        .bind(r.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// A dossier's disposal, inside this transaction.
    pub async fn disposal(&mut self, dossier_id: &str) -> Result<Option<DisposalRow>, DbError> {
        let sql = format!("SELECT {DISPOSAL_COLUMNS} FROM disposals WHERE dossier_id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(dossier_id)
            .fetch_optional(&mut *self.inner)
            .await?)
    }

    /// Locks the dossier's row until this transaction ends (a no-op update): holds and
    /// disposals of one dossier are decided one at a time, on either database.
    pub async fn lock_dossier(&mut self, dossier_id: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE dossiers SET version = version WHERE id = $1")
            .bind(dossier_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Whether the dossier is under a legal hold, inside this transaction.
    pub async fn is_held(&mut self, dossier_id: &str) -> Result<bool, DbError> {
        let row = sqlx::query("SELECT COUNT(*) FROM legal_holds WHERE dossier_id = $1")
            .bind(dossier_id)
            .fetch_one(&mut *self.inner)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Records a disposal request; false when one exists already.
    pub async fn insert_disposal_request(&mut self, r: &DisposalRow) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO disposals (dossier_id, decision, reason, requested_by, requested_at, \
             request_index) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id) DO NOTHING",
        )
        .bind(&r.dossier_id)
        .bind(&r.decision)
        .bind(&r.reason)
        .bind(&r.requested_by)
        .bind(&r.requested_at)
        .bind(r.request_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Withdraws a request not yet approved; false when there is none.
    pub async fn delete_disposal_request(&mut self, dossier_id: &str) -> Result<bool, DbError> {
        let done =
            sqlx::query("DELETE FROM disposals WHERE dossier_id = $1 AND approved_at IS NULL")
                .bind(dossier_id)
                .execute(&mut *self.inner)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the approval of a pending request; false when it is not pending.
    pub async fn approve_disposal(
        &mut self,
        dossier_id: &str,
        approved_by: &str,
        approved_at: &str,
        approval_index: i64,
        deleted: i64,
        kept: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE disposals SET approved_by = $1, approved_at = $2, approval_index = $3, \
             objects_deleted = $4, objects_kept = $5 WHERE dossier_id = $6 AND approved_at IS NULL",
        )
        .bind(approved_by)
        .bind(approved_at)
        .bind(approval_index)
        .bind(deleted)
        .bind(kept)
        .bind(dossier_id)
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every object a dossier's records hold (documents, results, signature reports), each
    /// once, in SHA-256 order.
    pub async fn dossier_objects(&mut self, dossier_id: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(DOSSIER_OBJECTS)
            .bind(dossier_id)
            .fetch_all(&mut *self.inner)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(DbError::from))
            .collect()
    }

    /// Whether a record of another dossier, not disposed of, holds this object.
    pub async fn object_held_elsewhere(
        &mut self,
        sha256: &str,
        dossier_id: &str,
    ) -> Result<bool, DbError> {
        const LIVE: &str = "dossier_id <> $2 AND dossier_id NOT IN \
            (SELECT dossier_id FROM disposals WHERE approved_at IS NOT NULL)";
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM documents WHERE sha256 = $1 AND {LIVE}) \
             + (SELECT COUNT(*) FROM results WHERE sha256 = $1 AND {LIVE}) \
             + (SELECT COUNT(*) FROM signature_reports WHERE report_sha256 = $1 AND {LIVE})"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha256)
            .bind(dossier_id)
            .fetch_one(&mut *self.inner)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Marks an object's bytes disposed of.
    pub async fn mark_object_disposed(&mut self, sha256: &str, at: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE objects SET disposed_at = $1 WHERE sha256 = $2")
            .bind(at)
            .bind(sha256)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }
}
