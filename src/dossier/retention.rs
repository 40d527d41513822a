//! Retention and legal holds: how long a dossier's records are kept (its procedure's
//! retention, counted from the year it closed) and holds that keep it whatever the retention.
//! Placing and lifting a hold are logged.
//!
//! Owns: the retention arithmetic and the holds. Never reaches: axum, SQL text, S3. Disposal
//! itself is not here yet.

use crate::auth::{Principal, Role};
use crate::db::LegalHoldRow;
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::timestamp::Timestamp;

use super::catalogue::Retention;
use super::service::{Dossier, DossierError, DossierService};
use super::types::DossierStatus;

/// A dossier's retention, as the archive sees it.
#[derive(Debug, Clone)]
pub struct RetentionView {
    /// Its procedure's retention (permanent when the procedure is no longer catalogued).
    pub retention: Retention,
    /// The year it closed (rejected or returned), if it has.
    pub closed_year: Option<i32>,
    /// The first day its records may be disposed of: 1 January after the retention's last
    /// year; none while open, permanent or held.
    pub disposable_from: Option<time::Date>,
    /// The hold on it, if any.
    pub legal_hold: Option<LegalHoldRow>,
}

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
        let retention = self
            .catalogue()
            .get(&dossier.procedure)
            .map_or(Retention::Permanent, |p| p.retention);
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
        Ok(RetentionView {
            retention,
            closed_year,
            disposable_from,
            legal_hold,
        })
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
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        let appended = ledger::append(
            &mut tx,
            &now,
            &[EntryDraft::new(EntryKind::LegalHoldPlaced)
                .text("dossier", dossier.id.clone())
                .text(
                    "reason_sha256",
                    crate::storage::Sha256Digest::of(reason.as_bytes()).to_hex(),
                )],
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
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        if !tx.lift_legal_hold(&dossier.id).await? {
            return Err(DossierError::NotFound);
        }
        ledger::append(
            &mut tx,
            &now,
            &[EntryDraft::new(EntryKind::LegalHoldLifted)
                .text("dossier", dossier.id.clone())
                .text(
                    "reason_sha256",
                    crate::storage::Sha256Digest::of(reason.as_bytes()).to_hex(),
                )],
        )
        .await?;
        tx.commit().await?;
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
