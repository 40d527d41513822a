//! Supplements: while a dossier is SUPPLEMENT_REQUESTED, the applicant (or an officer at the
//! counter for them) adds the documents asked for; they are stored like a submission's, logged
//! with provenance `supplement`, and the dossier goes back to RECEIVED in the same transaction,
//! its deadline clock running again.
//!
//! Owns: when documents may be added to a recorded dossier (who may is `access`'s: those who
//! may move it). Never reaches: axum, SQL text, S3.

use crate::auth::Principal;
use crate::timestamp::Timestamp;
use crate::workflow::lifecycle::{self, Actor};

use super::access::Act;
use super::intake::PendingFiles;
use super::model::{Dossier, DossierError};
use super::originals::add_documents;
use super::service::DossierService;
use super::transitions::{Move, record_move};
use crate::vocabulary::DossierStatus;

impl DossierService {
    /// Whether `principal` may add documents to this dossier now (checked again when they are
    /// recorded): before the bytes are received, so that nobody else fills the store.
    pub async fn may_supplement(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<(), DossierError> {
        self.supplement_target(principal, dossier_id)
            .await
            .map(|_| ())
    }

    /// Records the documents a supplement request asked for and moves the dossier back to
    /// RECEIVED. The applicant, or an officer at the counter on the applicant's behalf.
    pub async fn record_supplement(
        &self,
        principal: &Principal,
        dossier_id: &str,
        files: PendingFiles,
    ) -> Result<Dossier, DossierError> {
        let (row, actor) = self.supplement_target(principal, dossier_id).await?;
        if files.files().is_empty() {
            return Err(DossierError::Invalid(
                "send the documents asked for as one or more parts named \"file\"".into(),
            ));
        }
        lifecycle::check(
            DossierStatus::SupplementRequested,
            DossierStatus::Received,
            actor,
            None,
        )?;
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        let documents = add_documents(&mut tx, &now, &row.id, &files, "supplement", None).await?;
        record_move(
            &mut tx,
            &now,
            &Move {
                dossier_id: &row.id,
                from: DossierStatus::SupplementRequested,
                to: DossierStatus::Received,
                actor,
                actor_token: Some(&principal.token_id),
                reason: None,
                version: Some(row.version),
                notify: self.notifies(),
            },
        )
        .await?
        .ok_or(DossierError::StaleVersion {
            current: row.version,
        })?;
        self.refresh_due(&mut tx, &row.id, &row.procedure_code)
            .await?;
        tx.commit().await?;
        self.protect(&row.id).await;
        tracing::info!(dossier = %row.id, documents = documents.len(), "supplement recorded");
        self.get(principal, dossier_id).await
    }

    async fn supplement_target(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<(crate::db::DossierRow, Actor), DossierError> {
        // Adding them moves the dossier: whoever may move it (not a linked part's agency).
        let row = self.acting_row(principal, dossier_id, Act::Move).await?;
        let actor = Actor::from(principal.role);
        if row.status != DossierStatus::SupplementRequested.as_str() {
            return Err(DossierError::NotAwaitingSupplement(row.status.clone()));
        }
        Ok((row, actor))
    }
}
