//! The archive: what archivists need beyond reading records: fixity audits (every stored
//! object re-hashed in the background, rate-limited and resumable, each problem kept and each
//! finished audit logged), and self-verifying BagIt exports (`bag`, `export`) with their
//! offline check (`check`).
//!
//! Owns: the audit loop and its pacing. Never reaches: axum, SQL text (that is `db`), object
//! bytes other than through `storage`'s streaming API.

pub mod bag;
pub mod check;
pub mod export;
pub mod import;

use std::time::{Duration, Instant};

use crate::db::{Db, DbError, FixityAuditRow};
use crate::ledger::{self, EntryDraft, EntryKind, LedgerError};
use crate::storage::{Fixity, ObjectStore, Sha256Digest};
use crate::timestamp::Timestamp;

/// What archivists read of the fixity audits: the latest ones, and the problems the newest found.
#[derive(Debug, Clone)]
pub struct FixitySummary {
    /// The latest audits, newest first.
    pub audits: Vec<FixityAuditRow>,
    /// What the newest found.
    pub findings: Vec<crate::db::FixityFindingRow>,
}

/// Why an audit could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Appending to the integrity log failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The audit row vanished while it ran.
    #[error("the fixity audit {0} is gone")]
    AuditGone(String),
    /// The caller's role may not read audits.
    #[error("fixity audits are for archivists and administrators")]
    Forbidden,
}

/// Whether `principal` works in the archive: archivists and administrators read fixity audits,
/// place legal holds and use the archive's screens; everyone else is refused.
pub fn works_in_archive(principal: &crate::auth::Principal) -> Result<(), ArchiveError> {
    use crate::auth::Role;
    if matches!(principal.role, Role::Archivist | Role::Admin) {
        Ok(())
    } else {
        Err(ArchiveError::Forbidden)
    }
}

/// Re-hashes every stored object, at most `bytes_per_second` (0: as fast as the store goes).
#[derive(Clone)]
pub struct FixityAuditor {
    db: Db,
    store: ObjectStore,
    bytes_per_second: u64,
}

impl FixityAuditor {
    /// An auditor over this database and store.
    pub fn new(db: Db, store: ObjectStore, bytes_per_second: u64) -> Self {
        Self {
            db,
            store,
            bytes_per_second,
        }
    }

    /// The latest `limit` audits and the newest one's findings, for archivists and
    /// administrators.
    pub async fn summary(
        &self,
        principal: &crate::auth::Principal,
        limit: i64,
    ) -> Result<FixitySummary, ArchiveError> {
        works_in_archive(principal)?;
        let audits = self.db.fixity_audits(limit).await?;
        let findings = match audits.first() {
            Some(a) => self.db.fixity_findings(&a.id).await?,
            None => Vec::new(),
        };
        Ok(FixitySummary { audits, findings })
    }

    /// Runs an audit: the unfinished one from where it stopped, else a new one. Stops after
    /// `max_objects` objects when given (the audit stays unfinished, to resume later). A
    /// finished audit is logged (`fixity_audited`: objects checked, bytes, problems).
    pub async fn run(&self, max_objects: Option<u64>) -> Result<FixityAuditRow, ArchiveError> {
        let audit = match self.db.unfinished_fixity_audit().await? {
            Some(a) => a,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                self.db
                    .start_fixity_audit(&id, &Timestamp::now().to_string())
                    .await?;
                self.db
                    .fixity_audit(&id)
                    .await?
                    .ok_or(ArchiveError::AuditGone(id))?
            }
        };
        let started = Instant::now();
        let mut paced_bytes = 0u64;
        let mut done = 0u64;
        let mut cursor = audit.cursor.clone();
        loop {
            let page = self.db.objects_after(&cursor, 200).await?;
            let Some(last) = page.last() else { break };
            let page_end = last.sha256.clone();
            for object in page {
                if max_objects.is_some_and(|m| done >= m) {
                    return Ok(self.db.fixity_audit(&audit.id).await?.unwrap_or(audit));
                }
                let mut bytes = 0u64;
                let problem = match Sha256Digest::from_hex(&object.sha256) {
                    Err(_) => Some("the recorded name is not a SHA-256".to_owned()),
                    Ok(sha) => match self
                        .store
                        .fixity(&sha, object.size.max(0) as u64, |n| bytes += n)
                        .await
                    {
                        Fixity::Intact => None,
                        Fixity::Missing => Some("missing from the store".to_owned()),
                        Fixity::Unreadable(e) => Some(format!("unreadable: {e}")),
                        Fixity::Changed(actual) => {
                            Some(format!("changed: its bytes now hash to {actual}"))
                        }
                        Fixity::WrongSize(n) => Some(format!(
                            "changed: {n} bytes stored, {} recorded",
                            object.size
                        )),
                    },
                };
                if let Some(p) = &problem {
                    tracing::warn!(object = %object.sha256, problem = %p, "fixity");
                }
                self.db
                    .record_fixity(
                        &audit.id,
                        &object.sha256,
                        bytes as i64,
                        problem.as_deref(),
                        &Timestamp::now().to_string(),
                    )
                    .await?;
                done += 1;
                paced_bytes += bytes;
                // Rate limit: never ahead of bytes_per_second since this run began.
                if self.bytes_per_second > 0 {
                    let due =
                        Duration::from_secs_f64(paced_bytes as f64 / self.bytes_per_second as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            cursor = page_end;
        }
        // Finished: logged with its totals.
        let row = self
            .db
            .fixity_audit(&audit.id)
            .await?
            .ok_or_else(|| ArchiveError::AuditGone(audit.id.clone()))?;
        let now = Timestamp::now();
        let mut tx = self.db.begin().await?;
        let appended = ledger::append(
            &mut tx,
            &now,
            &[EntryDraft::new(EntryKind::FixityAudited)
                .text("audit", row.id.clone())
                .number("checked", row.checked.max(0) as u64)
                .number("bytes", row.bytes.max(0) as u64)
                .number("problems", row.problems.max(0) as u64)],
        )
        .await?;
        tx.finish_fixity_audit(&row.id, &now.to_string(), appended[0].index as i64)
            .await?;
        tx.commit().await?;
        tracing::info!(audit = %row.id, checked = row.checked, problems = row.problems,
            "fixity audit finished");
        Ok(self.db.fixity_audit(&audit.id).await?.unwrap_or(row))
    }
}
