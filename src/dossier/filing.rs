//! Filing a dossier: the declaration, each file streamed into the store, then one transaction
//! that records the dossier, its code, documents, signature reports and log entries (see
//! `intake` for the checks, `signatures` for the verification at intake).

use bytes::Bytes;
use futures_util::Stream;

use crate::auth::Principal;
use crate::db::{NewDocument, NewDossier, SignatureReportRow};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::timestamp::Timestamp;

use super::intake::{self, IntakeError, IntakeLimits, PendingDossier};
use super::model::{Document, Dossier, DossierError, part_from_row, summary_from_row};
use super::signatures::{self};
use super::transitions::{Move, record_move};
use crate::vocabulary::{Channel, DossierCode, DossierStatus, IdNumber, TaxCode};
use crate::workflow::lifecycle::Actor;

use super::service::DossierService;

impl DossierService {
    /// The intake limits.
    pub fn limits(&self) -> &IntakeLimits {
        &self.limits
    }

    /// Step 1 of intake: the declaration, and the unit that receives it: the one it names,
    /// else the deployment's only unit. The unit must receive the procedure at its level.
    pub async fn begin_intake(
        &self,
        principal: &Principal,
        declaration: &[u8],
    ) -> Result<PendingDossier, IntakeError> {
        let mut pending = intake::parse_declaration(&self.catalogue(), principal, declaration)?;
        let units = self.units.list().await.map_err(super::DossierError::from)?;
        let named = super::access::filing_unit(principal, pending.unit.take())?;
        let unit = match named {
            Some(code) => units
                .iter()
                .find(|u| u.code == code)
                .cloned()
                .ok_or_else(|| IntakeError::UnknownUnit(code.as_str().to_owned()))?,
            None if units.len() == 1 => units[0].clone(),
            None => return Err(IntakeError::UnitRequired),
        };
        // Each linked part is processed where its procedure is handled: here, or the nearest
        // unit above of a level that handles it (else here, the only counter that can).
        pending.linked_units = pending
            .linked
            .iter()
            .map(|p| {
                crate::unit::processing_unit(&units, &unit.code, &p.received_at)
                    .unwrap_or_else(|| unit.code.clone())
            })
            .collect();
        let procedure = &pending.procedure;
        if !procedure.is_received_at(unit.level) {
            return Err(IntakeError::ProcedureNotReceivedHere {
                procedure: procedure.code.clone(),
                unit: unit.code.as_str().to_owned(),
                level: unit.level,
                received_at: procedure
                    .received_at
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        pending.unit = Some(unit.code);
        Ok(pending)
    }

    /// Step 2, once per file: stream it into the store (also for counter scans, into a
    /// [`intake::PendingFiles`]).
    pub async fn receive_file<S, E>(
        &self,
        pending: &mut impl intake::FileSink,
        filename: Option<&str>,
        content_type: Option<&str>,
        body: S,
    ) -> Result<(), IntakeError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        intake::receive_file(
            &self.store,
            &self.limits,
            &self.gate,
            pending,
            filename,
            content_type,
            body,
        )
        .await
    }

    /// Step 3: record the dossier, its code and documents in one transaction.
    pub async fn commit_intake(
        &self,
        principal: &Principal,
        pending: PendingDossier,
    ) -> Result<Dossier, IntakeError> {
        if pending.files.is_empty() {
            return Err(IntakeError::NoFiles);
        }
        // Signatures first: their reports are objects, durable before the transaction.
        let verified =
            signatures::verify_at_intake(&self.store, &self.signatures, &self.gate, &pending.files)
                .await?;
        let trust_configured = !self.signatures.options.store.anchors.is_empty();
        let originals = signatures::decide(&pending.applicant, &verified, trust_configured);
        let now = Timestamp::now();
        let now_text = now.to_string();
        let date = now.vietnam_date();
        let id = uuid::Uuid::new_v4().to_string();
        let details = pending.details.to_string();
        let mut tx = self.db.begin().await?;
        let unit = pending.unit.as_ref().unwrap_or(&self.unit);
        let sequence = tx
            .next_dossier_sequence(unit.as_str(), &DossierCode::day_key(date))
            .await?;
        let code = DossierCode::new(unit, date, u32::try_from(sequence).unwrap_or(u32::MAX));
        let mut row = NewDossier {
            id: &id,
            code: code.as_str(),
            procedure_code: &pending.procedure.code,
            status: DossierStatus::Submitted.as_str(),
            applicant_kind: pending.applicant.kind().as_str(),
            applicant_tax_code: pending.applicant.tax_code().map(TaxCode::as_str),
            applicant_id_number: pending.applicant.id_number().map(IdNumber::as_str),
            applicant_name: pending.applicant.name(),
            details: &details,
            submitted_by: &principal.token_id,
            submitted_at: &now_text,
            ledger_index: 0,
            // The applicant's own token files online; staff file at the counter.
            channel: Some(
                match principal.role {
                    crate::auth::Role::Business | crate::auth::Role::Citizen => Channel::Online,
                    _ => Channel::Counter,
                }
                .as_str(),
            ),
        };
        let documents: Vec<Document> = pending
            .files
            .iter()
            .map(|file| Document {
                id: uuid::Uuid::new_v4().to_string(),
                dossier_id: id.clone(),
                filename: file.filename.clone(),
                media_type: file.media_type,
                size: file.object.size,
                sha256: file.object.sha256,
                created_at: now,
                ledger_index: None,
            })
            .collect();
        // The log records the filing and each stored document, in the same transaction.
        let mut drafts = vec![
            EntryDraft::new(EntryKind::DossierSubmitted)
                .text("dossier", id.clone())
                .text("code", code.as_str())
                .text("procedure", pending.procedure.code.clone())
                .text(
                    "record_sha256",
                    ledger::DossierRecord::from(&row).digest().to_hex(),
                )
                .text("originals", originals.as_str()),
        ];
        if !pending.linked.is_empty() {
            // The parts, as the log vouches them: the procedures filed together.
            let linked: Vec<&str> = pending.linked.iter().map(|p| p.code.as_str()).collect();
            drafts[0] = drafts[0].clone().text("linked", linked.join(","));
        }
        for d in &documents {
            drafts.push(
                EntryDraft::new(EntryKind::DocumentStored)
                    .text("dossier", id.clone())
                    .text("document", d.id.clone())
                    .text("sha256", d.sha256.to_hex())
                    .number("size", d.size)
                    .text("media_type", d.media_type.as_str()),
            );
        }
        let report_ids: Vec<String> = verified
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        for (v, report_id) in verified.iter().zip(&report_ids) {
            let mut draft = EntryDraft::new(EntryKind::SignatureVerified)
                .text("dossier", id.clone())
                .text("signature_report", report_id.clone())
                .text(
                    "signature_document",
                    documents[v.signature_index].id.clone(),
                )
                .text("report_sha256", v.object.sha256.to_hex())
                .text("indication", v.report.indication.as_str());
            if let Some(s) = v.signed_index {
                draft = draft.text("signed_document", documents[s].id.clone());
            }
            if let Some(sub) = v.report.sub_indication {
                draft = draft.text("sub_indication", sub.as_str());
            }
            drafts.push(draft);
        }
        let appended = ledger::append(&mut tx, &now, &drafts).await?;
        row.ledger_index = appended[0].index as i64;
        tx.insert_dossier(&row).await?;
        for (position, (d, entry)) in documents.iter().zip(&appended[1..]).enumerate() {
            let sha = d.sha256.to_hex();
            tx.insert_object(&sha, d.size as i64, &now_text).await?;
            tx.insert_document(&NewDocument {
                id: &d.id,
                dossier_id: &id,
                position: position as i64,
                filename: &d.filename,
                media_type: d.media_type.as_str(),
                size: d.size as i64,
                sha256: &sha,
                created_at: &now_text,
                ledger_index: entry.index as i64,
            })
            .await?;
        }
        tx.set_originals(&id, originals.as_str(), originals.reason.as_deref())
            .await?;
        // Interlinked procedures: a part per procedure, each for its own agency.
        if !pending.linked.is_empty() {
            tx.insert_part(
                &id,
                &pending.procedure.code,
                &pending.procedure.agency,
                unit.as_str(),
            )
            .await?;
            for (k, p) in pending.linked.iter().enumerate() {
                let at = pending.linked_units.get(k).unwrap_or(unit);
                tx.insert_part(&id, &p.code, &p.agency, at.as_str()).await?;
            }
        }
        let first_report_entry = 1 + documents.len();
        let mut summaries = Vec::with_capacity(verified.len());
        for (k, (v, report_id)) in verified.iter().zip(&report_ids).enumerate() {
            let sha = v.object.sha256.to_hex();
            tx.insert_object(&sha, v.object.size as i64, &now_text)
                .await?;
            let row = SignatureReportRow {
                id: report_id.clone(),
                dossier_id: id.clone(),
                signature_document_id: documents[v.signature_index].id.clone(),
                signed_document_id: v.signed_index.map(|s| documents[s].id.clone()),
                report_sha256: sha,
                indication: v.report.indication.as_str().to_owned(),
                sub_indication: v.report.sub_indication.map(|s| s.as_str().to_owned()),
                signer_tax_code: v
                    .report
                    .signatures
                    .iter()
                    .find_map(|s| s.signer.as_ref().and_then(|i| i.tax_code.clone())),
                created_at: now_text.clone(),
                ledger_index: Some(appended[first_report_entry + k].index as i64),
            };
            tx.insert_signature_report(&row).await?;
            summaries.push(summary_from_row(row));
        }
        // The technical checks above passed: the system receives the dossier now, the official
        // receipt time (Decree 45/2020/ND-CP, art. 15).
        let received = Move {
            dossier_id: &id,
            from: DossierStatus::Submitted,
            to: DossierStatus::Received,
            actor: Actor::System,
            actor_token: None,
            reason: None,
            version: None,
            notify: self.notify,
        };
        crate::workflow::lifecycle::check(received.from, received.to, received.actor, None)
            .map_err(DossierError::from)?;
        let version = record_move(&mut tx, &now, &received)
            .await?
            .ok_or_else(|| DossierError::Corrupt("a new dossier moved before its commit".into()))?;
        let due_on = self.refresh_due(&mut tx, &id, row.procedure_code).await?;
        tx.commit().await?;
        self.protect(&id).await;
        let mut documents = documents;
        for (d, entry) in documents.iter_mut().zip(&appended[1..]) {
            d.ledger_index = Some(entry.index);
        }
        let dossier_id = id.clone();
        tracing::info!(
            dossier = %id,
            code = %code,
            documents = documents.len(),
            ledger_index = appended[0].index,
            "dossier submitted"
        );
        Ok(Dossier {
            id,
            code,
            procedure: pending.procedure.code,
            status: DossierStatus::Received,
            applicant: pending.applicant,
            details: pending.details,
            submitted_at: now,
            updated_at: now,
            documents,
            originals: Some(originals),
            signatures: summaries,
            version,
            history: self.history(&dossier_id).await?,
            due_on,
            closed_on: None,
            parts: self
                .db
                .parts_of(&dossier_id)
                .await?
                .into_iter()
                .map(part_from_row)
                .collect(),
        })
    }
}
