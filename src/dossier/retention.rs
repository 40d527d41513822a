//! Retention and legal holds: how long a dossier's records are kept (its procedure's
//! retention, counted from the year it closed) and holds that keep it whatever the retention.
//! Placing and lifting a hold are logged.
//!
//! Disposal: an archivist asks for a dossier whose retention has run out to be disposed of,
//! citing the disposal decision; an administrator approves. Approval marks the dossier disposed
//! and deletes the bytes of each of its objects that no live record of another dossier holds;
//! the rows and every log entry stay (the `dossier_disposed` entry lists the objects deleted),
//! so the disposal itself is provable. Reads of a disposed record answer 410.
//!
//! Owns: the retention arithmetic, holds and disposal. Never reaches: axum, SQL text, S3 other
//! than through `storage`.

use crate::auth::{Principal, Role};
use crate::db::{DisposalRow, LegalHoldRow};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::storage::Retained;
use crate::timestamp::Timestamp;

use super::catalogue::Retention;
use super::model::{Dossier, DossierError};
use super::service::DossierService;
use crate::vocabulary::DossierStatus;

/// A dossier's retention, as the archive sees it.
#[derive(Debug, Clone)]
pub struct RetentionView {
    /// The longest of its procedure's retention and those of its documents' classes (the
    /// papers they are); permanent when the procedure is no longer catalogued.
    pub retention: Retention,
    /// Where the retention comes from (`the procedure X`, `the paper Y (name)`).
    pub retention_from: String,
    /// The year it closed (rejected or returned), if it has.
    pub closed_year: Option<i32>,
    /// The first day its records may be disposed of: 1 January after the retention's last
    /// year; none while open, permanent or held.
    pub disposable_from: Option<time::Date>,
    /// The hold on it, if any.
    pub legal_hold: Option<LegalHoldRow>,
    /// Its disposal, asked for or done.
    pub disposal: Option<DisposalRow>,
}

/// The longest disposal decision reference accepted.
pub const MAX_DECISION_CHARS: usize = 200;

impl DossierService {
    /// The retention of a dossier the caller may see.
    pub async fn retention(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<RetentionView, DossierError> {
        let dossier = self.get(principal, dossier_id).await?;
        self.retention_of(&dossier).await
    }

    /// [`DossierService::retention`] of a dossier already read.
    pub async fn retention_of(&self, dossier: &Dossier) -> Result<RetentionView, DossierError> {
        let catalogue = self.catalogue();
        let procedure = catalogue.get(&dossier.procedure);
        let mut retention = procedure.map_or(Retention::Permanent, |p| p.retention);
        let mut retention_from = match procedure {
            Some(p) => format!("the procedure {}", p.code),
            None => format!("the procedure {} (no longer catalogued)", dossier.procedure),
        };
        // A dossier keeps the longest retention of its documents: each paper (document class)
        // may be kept longer than the procedure's records.
        let procedures: Vec<_> = std::iter::once(dossier.procedure.as_str())
            .chain(dossier.parts.iter().map(|p| p.procedure.as_str()))
            .filter_map(|code| catalogue.get(code))
            .collect();
        for component in self.db().document_components(&dossier.id).await? {
            let class = procedures
                .iter()
                .flat_map(|p| &p.components)
                .find(|c| c.code == component)
                .and_then(|c| c.retention.map(|r| (r, c)));
            if let Some((r, c)) = class
                && r.longest(retention) != retention
            {
                retention = r;
                retention_from = format!("the paper {} ({})", c.code, c.name_vi);
            }
        }
        // An imported record closed when the old archive says it did; others when they were
        // rejected or returned.
        let imported_close = self
            .db()
            .archive_import_of(&dossier.id)
            .await?
            .and_then(|i| i.closed_on.get(..4).and_then(|y| y.parse::<i32>().ok()));
        let closed_year = imported_close.or_else(|| {
            dossier
                .history
                .iter()
                .find(|t| matches!(t.to, DossierStatus::Rejected | DossierStatus::Returned))
                .map(|t| crate::workflow::calendar::vietnam_date(t.at.as_offset_date_time()).year())
        });
        let legal_hold = self.db().legal_hold(&dossier.id).await?;
        let disposable_from = match (retention, closed_year, &legal_hold) {
            (Retention::Years(n), Some(year), None) => {
                time::Date::from_calendar_date(year + n as i32 + 1, time::Month::January, 1).ok()
            }
            _ => None,
        };
        let disposal = self.db().disposal(&dossier.id).await?;
        Ok(RetentionView {
            retention,
            retention_from,
            closed_year,
            disposable_from,
            legal_hold,
            disposal,
        })
    }

    /// Locks the dossier's stored objects against deletion where the store can (S3 Object
    /// Lock, COMPLIANCE mode) for as long as its retention may last from today: permanent
    /// records for 100 years, the others until 1 January after this year plus their retention
    /// (a lawful disposal, counted from the closing year, never comes sooner). Called after
    /// each change that stores objects; a lock is only ever extended. A failure is logged, not
    /// returned: the record is committed, and the lock is a second line of defence.
    pub async fn protect(&self, dossier_id: &str) {
        if !self.store().locks_objects().await {
            return;
        }
        if let Err(e) = self.try_protect(dossier_id).await {
            tracing::warn!(dossier = %dossier_id, error = %e,
                "stored objects could not be locked (Object Lock)");
        }
    }

    async fn try_protect(&self, dossier_id: &str) -> Result<(), DossierError> {
        let Some(row) = self.db().dossier(dossier_id).await? else {
            return Ok(());
        };
        let dossier = self.assemble(row).await?;
        let view = self.retention_of(&dossier).await?;
        let now = time::OffsetDateTime::now_utc();
        let until = match view.retention {
            Retention::Permanent => now + time::Duration::days(100 * 365 + 25),
            Retention::Years(n) => {
                let year = view
                    .closed_year
                    .unwrap_or_else(|| crate::workflow::calendar::today().year());
                match time::Date::from_calendar_date(year + n as i32 + 1, time::Month::January, 1) {
                    Ok(day) => day.midnight().assume_utc(),
                    Err(_) => return Ok(()),
                }
            }
        };
        let until_text = Timestamp::from(until).to_string();
        for sha in self.db().dossier_objects(dossier_id).await? {
            let Ok(digest) = crate::storage::Sha256Digest::from_hex(&sha) else {
                continue;
            };
            // A retention that ran out already (an old imported record) needs no lock; it is
            // recorded all the same, so that the pass for unlocked objects does not come back.
            let locked = if until <= now {
                until
            } else {
                match self.store().retain(&digest, until).await? {
                    Retained::NotApplicable => return Ok(()),
                    Retained::Until(t) | Retained::AlreadyUntil(t) => t,
                }
            };
            let text = if locked == until {
                until_text.clone()
            } else {
                Timestamp::from(locked).to_string()
            };
            self.db().set_locked_until(&sha, &text).await?;
        }
        Ok(())
    }

    /// Locks the objects of up to `limit` dossiers that hold an object not locked yet (after a
    /// crash between a commit and its lock, or once Object Lock was turned on for a bucket that
    /// already held objects); how many dossiers it went through. Nothing where the store has
    /// no Object Lock.
    pub async fn protect_unlocked(&self, limit: i64) -> Result<usize, DossierError> {
        if !self.store().locks_objects().await {
            return Ok(0);
        }
        let dossiers = self.db().dossiers_with_unlocked_objects(limit).await?;
        for id in &dossiers {
            // One dossier's failure does not hold up the others; it is tried again next pass.
            if let Err(e) = self.try_protect(id).await {
                tracing::warn!(dossier = %id, error = %e, "locking a dossier's objects failed");
            }
        }
        Ok(dossiers.len())
    }

    /// Places a legal hold on a dossier (archivists and administrators): it is then never
    /// disposed of, until the hold is lifted. Logged with the reason's SHA-256.
    pub async fn place_legal_hold(
        &self,
        principal: &Principal,
        dossier_id: &str,
        reason: &str,
    ) -> Result<RetentionView, DossierError> {
        let dossier = self.hold_target(principal, dossier_id).await?;
        let reason = checked_reason(reason, "a legal hold")?;
        self.refuse_disposed(&dossier.id).await?;
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        tx.lock_dossier(&dossier.id).await?;
        let appended = ledger::append(
            &mut tx,
            &now,
            &[reasoned(EntryKind::LegalHoldPlaced, &dossier.id, reason)],
        )
        .await?;
        let placed = tx
            .place_legal_hold(&LegalHoldRow {
                dossier_id: dossier.id.clone(),
                reason: reason.to_owned(),
                placed_by: principal.token_id.clone(),
                placed_at: now.to_string(),
                ledger_index: appended[0].index as i64,
            })
            .await?;
        if !placed {
            return Err(DossierError::Invalid(
                "the dossier is under a legal hold already".into(),
            ));
        }
        tx.commit().await?;
        self.retention_of(&dossier).await
    }

    /// Lifts a dossier's legal hold (archivists and administrators), logged with the reason's
    /// SHA-256.
    pub async fn lift_legal_hold(
        &self,
        principal: &Principal,
        dossier_id: &str,
        reason: &str,
    ) -> Result<RetentionView, DossierError> {
        let dossier = self.hold_target(principal, dossier_id).await?;
        let reason = checked_reason(reason, "lifting a legal hold")?;
        self.undo(&dossier, Undo::LegalHold, reason).await
    }

    /// Removes a hold or a pending disposal request under the dossier's lock (not found when
    /// there is none), logs it with the reason's SHA-256, and returns the retention as it is now.
    async fn undo(
        &self,
        dossier: &Dossier,
        what: Undo,
        reason: &str,
    ) -> Result<RetentionView, DossierError> {
        let mut tx = self.db().begin().await?;
        tx.lock_dossier(&dossier.id).await?;
        let (removed, kind) = match what {
            Undo::LegalHold => (
                tx.lift_legal_hold(&dossier.id).await?,
                EntryKind::LegalHoldLifted,
            ),
            Undo::DisposalRequest => (
                tx.delete_disposal_request(&dossier.id).await?,
                EntryKind::DisposalWithdrawn,
            ),
        };
        if !removed {
            return Err(DossierError::NotFound);
        }
        ledger::append(
            &mut tx,
            &Timestamp::now(),
            &[reasoned(kind, &dossier.id, reason)],
        )
        .await?;
        tx.commit().await?;
        self.retention_of(dossier).await
    }

    /// Asks for a dossier's disposal (archivists), citing the disposal decision (its number and
    /// date, e.g. `Quyết định số 12/QĐ-UBND ngày 02/01/2027`). Refused while its retention runs,
    /// for permanent records and under a legal hold (409). Logged.
    pub async fn request_disposal(
        &self,
        principal: &Principal,
        dossier_id: &str,
        decision: &str,
        reason: &str,
    ) -> Result<RetentionView, DossierError> {
        let dossier = self.get(principal, dossier_id).await?;
        if principal.role != Role::Archivist {
            return Err(DossierError::Forbidden("archivists ask for disposals"));
        }
        let decision = decision.trim();
        if decision.is_empty() || decision.chars().count() > MAX_DECISION_CHARS {
            return Err(DossierError::Invalid(format!(
                "a disposal cites its decision (1 to {MAX_DECISION_CHARS} characters)"
            )));
        }
        let reason = checked_reason(reason, "a disposal")?;
        let view = self.retention_of(&dossier).await?;
        if let Some(e) = view.disposal.as_ref().and_then(super::model::disposed) {
            return Err(e);
        }
        disposable(&view)?;
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        tx.lock_dossier(&dossier.id).await?;
        let appended = ledger::append(
            &mut tx,
            &now,
            &[reasoned(EntryKind::DisposalRequested, &dossier.id, reason)
                .text("decision", decision)],
        )
        .await?;
        let inserted = tx
            .insert_disposal_request(&DisposalRow {
                dossier_id: dossier.id.clone(),
                decision: decision.to_owned(),
                reason: reason.to_owned(),
                requested_by: principal.token_id.clone(),
                requested_at: now.to_string(),
                request_index: appended[0].index as i64,
                approved_by: None,
                approved_at: None,
                approval_index: None,
                objects_deleted: None,
                objects_kept: None,
            })
            .await?;
        if !inserted {
            return Err(DossierError::Conflict {
                code: "disposal_requested",
                message: "a disposal of this dossier was asked for already".into(),
            });
        }
        tx.commit().await?;
        self.retention_of(&dossier).await
    }

    /// Withdraws a disposal request not yet approved (archivists and administrators). Logged.
    pub async fn withdraw_disposal(
        &self,
        principal: &Principal,
        dossier_id: &str,
        reason: &str,
    ) -> Result<RetentionView, DossierError> {
        let dossier = self.hold_target(principal, dossier_id).await?;
        let reason = checked_reason(reason, "withdrawing a disposal")?;
        self.refuse_disposed(&dossier.id).await?;
        self.undo(&dossier, Undo::DisposalRequest, reason).await
    }

    /// Approves a pending disposal (administrators) and carries it out: the dossier is marked
    /// disposed and the bytes of each of its objects no live record of another dossier holds
    /// are deleted. The retention and the hold are checked again, under the dossier's lock.
    /// Logged (`dossier_disposed`, with the objects deleted). Bytes written within the orphan
    /// grace period, or that cannot be deleted at once, are left to the orphan sweep (and
    /// `motcua gc`), which removes disposed objects.
    pub async fn approve_disposal(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<RetentionView, DossierError> {
        let dossier = self.get(principal, dossier_id).await?;
        if principal.role != Role::Admin {
            return Err(DossierError::Forbidden("administrators approve disposals"));
        }
        let view = self.retention_of(&dossier).await?;
        let Some(request) = view.disposal.clone() else {
            return Err(DossierError::Conflict {
                code: "no_disposal_request",
                message: "no disposal of this dossier was requested: an archivist asks for one \
                          first (POST /api/v1/dossiers/{id}/disposal, citing the decision)"
                    .into(),
            });
        };
        if request.approved_at.is_some() {
            return Err(DossierError::Conflict {
                code: "disposed",
                message: "the dossier was disposed of already".into(),
            });
        }
        if request.requested_by == principal.token_id {
            return Err(DossierError::Forbidden(
                "the one who asks for a disposal does not approve it",
            ));
        }
        disposable(&view)?;
        let now = Timestamp::now();
        let now_text = now.to_string();
        let mut tx = self.db().begin().await?;
        tx.lock_dossier(&dossier.id).await?;
        if tx.is_held(&dossier.id).await? {
            return Err(held());
        }
        let mut deleted = Vec::new();
        let mut kept = 0i64;
        for sha in tx.dossier_objects(&dossier.id).await? {
            if tx.object_held_elsewhere(&sha, &dossier.id).await? {
                kept += 1;
            } else {
                tx.mark_object_disposed(&sha, &now_text).await?;
                deleted.push(sha);
            }
        }
        let appended = ledger::append(
            &mut tx,
            &now,
            &[EntryDraft::new(EntryKind::DossierDisposed)
                .text("dossier", dossier.id.clone())
                .text("decision", request.decision.clone())
                .text("deleted", deleted.join(","))
                .number("kept", kept as u64)],
        )
        .await?;
        let approved = tx
            .approve_disposal(
                &dossier.id,
                &principal.token_id,
                &now_text,
                appended[0].index as i64,
                deleted.len() as i64,
                kept,
            )
            .await?;
        if !approved {
            return Err(DossierError::Conflict {
                code: "disposed",
                message: "the disposal was approved or withdrawn meanwhile".into(),
            });
        }
        tx.commit().await?;
        // The bytes go now, unless they were written within the orphan grace period: then a
        // request may be about to refer to the same bytes (its upload refreshed them), and the
        // orphan sweep, which honours that period, removes them once no record holds them.
        let recent = std::time::SystemTime::now()
            .checked_sub(self.orphan_grace())
            .unwrap_or(std::time::UNIX_EPOCH);
        for sha in &deleted {
            let Ok(digest) = crate::storage::Sha256Digest::from_hex(sha) else {
                continue;
            };
            let outcome = match self.store().modified(&digest).await {
                Ok(Some(t)) if t >= recent => {
                    tracing::info!(object = %sha, "disposed; its bytes are left to the orphan sweep");
                    continue;
                }
                Ok(None) => continue,
                Ok(Some(_)) => self.store().delete(&digest).await,
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                tracing::warn!(object = %sha, error = %e,
                    "a disposed object's bytes could not be deleted; the orphan sweep will retry");
            }
        }
        tracing::info!(dossier = %dossier.id, deleted = deleted.len(), kept, "dossier disposed");
        self.retention_of(&dossier).await
    }

    async fn hold_target(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<Dossier, DossierError> {
        let dossier = self.get(principal, dossier_id).await?;
        if !matches!(principal.role, Role::Archivist | Role::Admin) {
            return Err(DossierError::Forbidden(
                "legal holds are for archivists and administrators",
            ));
        }
        Ok(dossier)
    }
}

/// What [`DossierService::undo`] removes.
enum Undo {
    /// A legal hold (logged `legal_hold_lifted`).
    LegalHold,
    /// A pending disposal request (logged `disposal_withdrawn`).
    DisposalRequest,
}

/// An entry about a dossier with the SHA-256 of a reason: the log, which can be published,
/// holds no free text.
fn reasoned(kind: EntryKind, dossier_id: &str, reason: &str) -> EntryDraft {
    EntryDraft::new(kind)
        .text("dossier", dossier_id.to_owned())
        .text(
            "reason_sha256",
            crate::storage::Sha256Digest::of(reason.as_bytes()).to_hex(),
        )
}

fn held() -> DossierError {
    DossierError::Conflict {
        code: "legal_hold",
        message: "the dossier is under a legal hold: it is not disposed of".into(),
    }
}

/// Whether the view allows disposal now: its retention ran out and no hold is on it.
fn disposable(view: &RetentionView) -> Result<(), DossierError> {
    if view.legal_hold.is_some() {
        return Err(held());
    }
    match (view.retention, view.disposable_from) {
        (Retention::Permanent, _) => Err(DossierError::Conflict {
            code: "not_disposable",
            message: "the dossier is kept permanently".into(),
        }),
        (_, None) => Err(DossierError::Conflict {
            code: "not_disposable",
            message: "the dossier is not closed: its retention has not started".into(),
        }),
        (_, Some(day)) if day > crate::workflow::calendar::today() => Err(DossierError::Conflict {
            code: "not_disposable",
            message: format!("the dossier is kept until {day}"),
        }),
        _ => Ok(()),
    }
}

/// A reason as given, trimmed: 1 to `MAX_REASON_CHARS` characters, as for a dossier's moves.
fn checked_reason<'a>(reason: &'a str, what: &str) -> Result<&'a str, DossierError> {
    let max = crate::workflow::lifecycle::MAX_REASON_CHARS;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > max {
        return Err(DossierError::Invalid(format!(
            "{what} needs a reason (1 to {max} characters)"
        )));
    }
    Ok(reason)
}
