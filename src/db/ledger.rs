//! Integrity-log rows: entries, tree nodes, the head, checkpoints, the registered key.

use sqlx::Row as _;

use super::{Backend, Db, DbError, Tx};

/// The head of the log as stored.
#[derive(Debug, Clone)]
pub struct HeadRow {
    /// Entries.
    pub size: i64,
    /// Hex leaf hash of the last entry.
    pub last_leaf: Option<String>,
    /// The compact range: hex subtree roots, largest first, comma-separated.
    pub frontier: String,
}

/// A stored entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// Position.
    pub idx: i64,
    /// Hex leaf hash.
    pub leaf_hash: String,
    /// The exact canonical entry text.
    pub entry: String,
}

/// A stored checkpoint.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckpointRow {
    /// Tree size.
    pub tree_size: i64,
    /// Hex root.
    pub root_hash: String,
    /// The signed note.
    pub note: String,
    /// When it was signed.
    pub created_at: String,
}

/// Rows per multi-row INSERT: a few hundred bound values, well under SQLite's limit.
const ROWS_PER_INSERT: usize = 100;

impl Tx {
    /// Reads the head and locks it until the transaction ends.
    pub async fn lock_ledger_head(&mut self) -> Result<HeadRow, DbError> {
        let sql = match self.backend {
            Backend::Postgres => {
                "SELECT size, last_leaf, frontier FROM ledger_head WHERE id = 1 FOR UPDATE"
            }
            // BEGIN IMMEDIATE already holds the database's write lock.
            Backend::Sqlite => "SELECT size, last_leaf, frontier FROM ledger_head WHERE id = 1",
        };
        let row = sqlx::query(sql).fetch_one(&mut *self.inner).await?;
        Ok(HeadRow {
            size: row.try_get(0)?,
            last_leaf: row.try_get(1)?,
            frontier: row.try_get(2)?,
        })
    }

    /// Writes the head.
    pub async fn update_ledger_head(&mut self, head: &HeadRow) -> Result<(), DbError> {
        sqlx::query("UPDATE ledger_head SET size = $1, last_leaf = $2, frontier = $3 WHERE id = 1")
            .bind(head.size)
            .bind(head.last_leaf.as_deref())
            .bind(&head.frontier)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Inserts entries `(idx, leaf hex, entry text)`.
    pub async fn insert_ledger_entries(
        &mut self,
        rows: &[(i64, String, String)],
    ) -> Result<(), DbError> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut sql =
                String::from("INSERT INTO ledger_entries (idx, leaf_hash, entry) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (idx, leaf, entry) in chunk {
                q = q.bind(*idx).bind(leaf.as_str()).bind(entry.as_str());
            }
            q.execute(&mut *self.inner).await?;
        }
        Ok(())
    }

    /// Inserts complete tree nodes `(level, idx, hex hash)`.
    pub async fn insert_ledger_nodes(
        &mut self,
        rows: &[(i64, i64, String)],
    ) -> Result<(), DbError> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from("INSERT INTO ledger_nodes (level, idx, hash) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (level, idx, hash) in chunk {
                q = q.bind(*level).bind(*idx).bind(hash.as_str());
            }
            q.execute(&mut *self.inner).await?;
        }
        Ok(())
    }
}

impl Db {
    /// The head, without locking.
    pub async fn ledger_head(&self) -> Result<HeadRow, DbError> {
        let row = sqlx::query("SELECT size, last_leaf, frontier FROM ledger_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(HeadRow {
            size: row.try_get(0)?,
            last_leaf: row.try_get(1)?,
            frontier: row.try_get(2)?,
        })
    }

    /// Entries with `start <= idx < end`, in order.
    pub async fn ledger_entries(&self, start: i64, end: i64) -> Result<Vec<EntryRow>, DbError> {
        Ok(sqlx::query_as::<_, EntryRow>(
            "SELECT idx, leaf_hash, entry FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind(start)
        .bind(end)
        .fetch_all(self.pool())
        .await?)
    }

    /// The hashes of the requested nodes `(level, idx)`; absent ones are missing from the result.
    pub async fn ledger_nodes(
        &self,
        wanted: &[(i64, i64)],
    ) -> Result<Vec<(i64, i64, String)>, DbError> {
        let mut out = Vec::with_capacity(wanted.len());
        for chunk in wanted.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from("SELECT level, idx, hash FROM ledger_nodes WHERE ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!(
                    "(level = ${} AND idx = ${})",
                    2 * i + 1,
                    2 * i + 2
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (level, idx) in chunk {
                q = q.bind(*level).bind(*idx);
            }
            for row in q.fetch_all(self.pool()).await? {
                out.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        Ok(out)
    }

    /// Every node of one level with `start <= idx < end`, in order (for verification).
    pub async fn ledger_level(
        &self,
        level: i64,
        start: i64,
        end: i64,
    ) -> Result<Vec<(i64, String)>, DbError> {
        let rows = sqlx::query(
            "SELECT idx, hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        )
        .bind(level)
        .bind(start)
        .bind(end)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// How many nodes are stored, per level (for verification).
    pub async fn ledger_node_counts(&self) -> Result<Vec<(i64, i64)>, DbError> {
        let rows =
            sqlx::query("SELECT level, COUNT(*) FROM ledger_nodes GROUP BY level ORDER BY level")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The number of entry rows (independently of the head).
    pub async fn ledger_entry_count(&self) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) FROM ledger_entries")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Stores a checkpoint; one per tree size (a second signer at the same size is a no-op).
    pub async fn insert_checkpoint(&self, c: &CheckpointRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ledger_checkpoints (tree_size, root_hash, note, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
        )
        .bind(c.tree_size)
        .bind(&c.root_hash)
        .bind(&c.note)
        .bind(&c.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The checkpoint with the largest tree size.
    pub async fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>, DbError> {
        Ok(sqlx::query_as::<_, CheckpointRow>(
            "SELECT tree_size, root_hash, note, created_at FROM ledger_checkpoints \
             ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every stored checkpoint, by tree size.
    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, DbError> {
        Ok(sqlx::query_as::<_, CheckpointRow>(
            "SELECT tree_size, root_hash, note, created_at FROM ledger_checkpoints ORDER BY tree_size",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Records the log's verifier key if none is; returns the recorded one.
    pub async fn register_ledger_key(
        &self,
        verifier_key: &str,
        now: &str,
    ) -> Result<String, DbError> {
        sqlx::query(
            "INSERT INTO ledger_keys (id, verifier_key, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(verifier_key)
        .bind(now)
        .execute(self.pool())
        .await?;
        self.ledger_key().await.map(|k| k.unwrap_or_default())
    }

    /// The recorded verifier key.
    pub async fn ledger_key(&self) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT verifier_key FROM ledger_keys WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }
}

/// A document row as verification reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentAudit {
    /// Document id.
    pub id: String,
    /// Dossier id.
    pub dossier_id: String,
    /// Hex SHA-256.
    pub sha256: String,
    /// Size.
    pub size: i64,
    /// Media type.
    pub media_type: String,
    /// The paper it is (its document class), if tagged.
    pub component: Option<String>,
    /// Index of its `document_stored` entry.
    pub ledger_index: Option<i64>,
}

/// An object row as verification reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ObjectAudit {
    /// Hex SHA-256.
    pub sha256: String,
    /// Size.
    pub size: i64,
}

impl Db {
    /// Entries after `after` (exclusive; -1 for the start), in order, at most `limit`.
    pub async fn ledger_entries_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EntryRow>, DbError> {
        Ok(sqlx::query_as::<_, EntryRow>(
            "SELECT idx, leaf_hash, entry FROM ledger_entries WHERE idx > $1 ORDER BY idx LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Documents with id after `after`, by id, at most `limit`.
    pub async fn documents_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<DocumentAudit>, DbError> {
        Ok(sqlx::query_as::<_, DocumentAudit>(
            "SELECT id, dossier_id, sha256, size, media_type, component, ledger_index FROM documents \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Dossiers with id after `after`, by id, at most `limit`.
    pub async fn dossiers_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<super::DossierRow>, DbError> {
        let sql = format!(
            "SELECT {} FROM dossiers WHERE id > $1 ORDER BY id LIMIT $2",
            super::dossiers::DOSSIER_COLUMNS
        );
        Ok(
            sqlx::query_as::<_, super::DossierRow>(sqlx::AssertSqlSafe(sql))
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Objects with digest after `after`, by digest, at most `limit`; disposed ones are not
    /// (their bytes are gone on purpose).
    pub async fn objects_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<ObjectAudit>, DbError> {
        Ok(sqlx::query_as::<_, ObjectAudit>(
            "SELECT sha256, size FROM objects WHERE sha256 > $1 AND disposed_at IS NULL \
             ORDER BY sha256 LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Total bytes of all recorded objects (for progress).
    pub async fn object_bytes(&self) -> Result<i64, DbError> {
        // SUM over BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read: cast.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM objects WHERE disposed_at IS NULL",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get(0)?)
    }
}
