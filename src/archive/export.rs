//! Archive export: one or many dossiers as a BagIt bag that proves itself offline.
//!
//! For each dossier, `data/<code>/` holds its record (`record.json`, the exact bytes its
//! `dossier_submitted` entry vouches for), its documents, its issued results and its signature
//! verification reports, plus `dossier.json`, a description for people (status, history,
//! retention, which file is what). For every file but that description, `proofs/` holds a proof
//! at the mirrored path (`proofs/<code>/documents/01-x.pdf.proof.json`): its log entry, the
//! entry's inclusion proof and the signed checkpoint; all proofs of a bag share one checkpoint
//! (`proofs/checkpoint.txt`), and the log's verifier key is in `proofs/verifier-key.txt`.
//!
//! Owns: what goes into a bag and where. Never reaches: axum, SQL text. Reads go through the
//! dossier service, so access rules apply and an archivist's export is logged as a read.

use bytes::Bytes;

use crate::auth::Principal;
use crate::db::Db;
use crate::dossier::{Dossier, DossierError, DossierService};
use crate::ledger::proof::{self, DocumentProof};
use crate::ledger::{Ledger, LedgerError, SignedCheckpoint};
use crate::storage::Sha256Digest;

use super::bag::{Bag, BagBuilder, BagError, portable_name};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading a dossier failed (or the caller may not see it: `NotFound`).
    #[error(transparent)]
    Dossier(#[from] DossierError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// The log could not prove a record.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The bag could not be planned.
    #[error(transparent)]
    Bag(#[from] BagError),
    /// A record has no log entry to prove it.
    #[error("{0} has no log entry: the database was changed outside motcua")]
    Unlogged(String),
    /// Nothing to export.
    #[error("no dossier matches")]
    Empty,
    /// The caller's role does not export archive packages.
    #[error("only archivists export archive packages")]
    Forbidden,
}

/// Whether `principal` may export archive packages: archivists only (an export is an archival
/// read, logged as one).
pub fn may_export(principal: &Principal) -> Result<(), ExportError> {
    if principal.role == crate::auth::Role::Archivist {
        Ok(())
    } else {
        Err(ExportError::Forbidden)
    }
}

/// Plans bags of dossiers.
#[derive(Clone)]
pub struct Exporter {
    dossiers: DossierService,
    ledger: Ledger,
    db: Db,
}

/// A planned export.
#[derive(Debug)]
pub struct Planned {
    /// The bag.
    pub bag: Bag,
    /// The codes of the dossiers in it, in order.
    pub codes: Vec<String>,
}

/// One proven file, before its proof is made (the checkpoint is chosen once all are known).
struct Proven {
    path: String,
    format: &'static str,
    record: serde_json::Value,
    index: u64,
}

impl Exporter {
    /// An exporter reading through this service and proving with this log (a reader is
    /// enough when checkpoints are being signed by the service).
    pub fn new(dossiers: DossierService, ledger: Ledger) -> Self {
        let db = dossiers.db().clone();
        Self {
            dossiers,
            ledger,
            db,
        }
    }

    /// The bag of these dossiers (ids), as `principal` may see them.
    pub async fn plan(
        &self,
        principal: &Principal,
        ids: &[String],
    ) -> Result<Planned, ExportError> {
        may_export(principal)?;
        if ids.is_empty() {
            return Err(ExportError::Empty);
        }
        let mut bag = BagBuilder::new();
        bag.info(
            "Bag-Software-Agent",
            &format!("motcua {}", env!("CARGO_PKG_VERSION")),
        );
        bag.info("Source-Organization", self.dossiers.unit().as_str());
        let mut proven = Vec::new();
        let mut codes = Vec::with_capacity(ids.len());
        for dossier in self.dossiers.get_many(principal, ids).await? {
            self.add_dossier(&mut bag, &dossier, &mut proven).await?;
            codes.push(dossier.code.as_str().to_owned());
        }
        let newest = proven.iter().map(|p| p.index).max().unwrap_or(0);
        let checkpoint = self.ledger.checkpoint_covering(newest + 1).await?;
        bag.info("Log-Origin", self.ledger.verifier().name());
        bag.info("Log-Checkpoint-Size", &checkpoint.size.to_string());
        bag.tag(
            "proofs/verifier-key.txt",
            Bytes::from(format!("{}\n", self.ledger.verifier())),
        )?;
        bag.tag(
            "proofs/checkpoint.txt",
            Bytes::from(checkpoint.note.clone()),
        )?;
        for p in proven {
            let proof = self.proof(&p, &checkpoint).await?;
            let json = serde_json::to_vec_pretty(&proof).expect("a proof serialises");
            bag.tag(&proof_path(&p.path), Bytes::from(json))?;
        }
        let today = crate::workflow::calendar::today();
        Ok(Planned {
            bag: bag.build(&today.to_string()),
            codes,
        })
    }

    async fn proof(
        &self,
        p: &Proven,
        checkpoint: &SignedCheckpoint,
    ) -> Result<DocumentProof, ExportError> {
        Ok(self
            .ledger
            .record_proof(p.format, p.record.clone(), p.index, checkpoint)
            .await?)
    }

    async fn add_dossier(
        &self,
        bag: &mut BagBuilder,
        dossier: &Dossier,
        proven: &mut Vec<Proven>,
    ) -> Result<(), ExportError> {
        let code = dossier.code.as_str();
        let unlogged = |what: String| ExportError::Unlogged(what);
        let mut files = Vec::new();
        let retention = self.dossiers.retention_of(dossier).await?;
        // A disposed dossier's files are gone on purpose: the bag keeps the record and says
        // what was disposed of (each file's digest and log entry).
        let disposal = retention
            .disposal
            .clone()
            .filter(|d| d.approved_at.is_some());
        let mut disposed_files = Vec::new();

        // The record, as its submission entry vouches for it.
        let row = self
            .db
            .dossier(&dossier.id)
            .await?
            .ok_or(DossierError::NotFound)?;
        let record = crate::ledger::DossierRecord::from(&row).bytes();
        let path = format!("{code}/record.json");
        let index = row
            .ledger_index
            .ok_or_else(|| unlogged(format!("dossier {code}")))?;
        proven.push(Proven {
            path: path.clone(),
            format: proof::DOSSIER_FORMAT,
            record: serde_json::json!({
                "id": dossier.id, "code": code, "sha256": Sha256Digest::of(&record).to_hex(),
            }),
            index: index as u64,
        });
        bag.payload_bytes(&path, Bytes::from(record))?;
        files.push(serde_json::json!({"path": path, "kind": "record"}));

        for (n, d) in dossier.documents.iter().enumerate() {
            if disposal.is_some() {
                disposed_files.push(serde_json::json!({
                    "kind": "document", "id": d.id, "filename": d.filename,
                    "sha256": d.sha256.to_hex(), "log_index": d.ledger_index,
                }));
                continue;
            }
            let path = format!(
                "{code}/documents/{:02}-{}",
                n + 1,
                portable_name(&d.filename)
            );
            let index = d
                .ledger_index
                .ok_or_else(|| unlogged(format!("document {}", d.id)))?;
            proven.push(Proven {
                path: path.clone(),
                format: proof::FORMAT,
                record: serde_json::json!({
                    "id": d.id, "sha256": d.sha256.to_hex(), "size": d.size,
                    "filename": d.filename, "media_type": d.media_type.as_str(),
                }),
                index,
            });
            bag.payload_object(&path, d.sha256, d.size)?;
            files.push(serde_json::json!({
                "path": path, "kind": "document", "id": d.id, "filename": d.filename,
                "media_type": d.media_type.as_str(), "stored_at": d.created_at.to_string(),
            }));
        }

        for r in self.db.results_of(&dossier.id).await? {
            if disposal.is_some() {
                disposed_files.push(serde_json::json!({
                    "kind": "result", "id": r.id, "code": r.code, "sha256": r.sha256,
                    "log_index": r.ledger_index,
                }));
                continue;
            }
            let path = format!("{code}/results/{}.pdf", portable_name(&r.code));
            let sha256 = Sha256Digest::from_hex(&r.sha256)
                .map_err(|_| unlogged(format!("result {} (its digest)", r.code)))?;
            proven.push(Proven {
                path: path.clone(),
                format: proof::RESULT_FORMAT,
                record: serde_json::json!({"id": r.id, "code": r.code, "sha256": r.sha256}),
                index: r.ledger_index as u64,
            });
            bag.payload_object(&path, sha256, r.size as u64)?;
            let revocation = self.db.revocation_of(&r.id).await?;
            files.push(serde_json::json!({
                "path": path, "kind": "result", "id": r.id, "code": r.code, "title": r.title,
                "agency": r.agency, "signer": r.signer, "level": r.level,
                "issued_at": r.issued_at,
                "revoked": revocation.as_ref().map(|v| serde_json::json!({
                    "at": v.revoked_at, "reason": v.reason, "log_index": v.ledger_index,
                })),
            }));
        }

        for r in self.db.signature_reports_of(&dossier.id).await? {
            if disposal.is_some() {
                disposed_files.push(serde_json::json!({
                    "kind": "signature_report", "id": r.id, "sha256": r.report_sha256,
                    "log_index": r.ledger_index,
                }));
                continue;
            }
            let path = format!("{code}/reports/{}.json", r.id);
            let sha256 = Sha256Digest::from_hex(&r.report_sha256)
                .map_err(|_| unlogged(format!("report {} (its digest)", r.id)))?;
            let index = r
                .ledger_index
                .ok_or_else(|| unlogged(format!("signature report {}", r.id)))?;
            let size = self
                .db
                .object_size(&r.report_sha256)
                .await?
                .ok_or_else(|| unlogged(format!("report {} (its object)", r.id)))?;
            proven.push(Proven {
                path: path.clone(),
                format: proof::REPORT_FORMAT,
                record: serde_json::json!({"id": r.id, "sha256": r.report_sha256}),
                index: index as u64,
            });
            bag.payload_object(&path, sha256, size)?;
            files.push(serde_json::json!({
                "path": path, "kind": "signature_report", "id": r.id,
                "indication": r.indication, "signer_tax_code": r.signer_tax_code,
            }));
        }

        let procedure = self.dossiers.catalogue().get(&dossier.procedure).cloned();
        let agency = procedure.as_ref().map(|p| p.agency.clone());
        bag.info("External-Identifier", code);
        bag.info("Dossier-Code", code);
        bag.info("Dossier-Procedure", &dossier.procedure);
        if let Some(agency) = &agency {
            bag.info("Dossier-Agency", agency);
        }
        bag.info("Dossier-Status", dossier.status.as_str());
        bag.info("Dossier-Submitted", &dossier.submitted_at.to_string());
        bag.info("Dossier-Retention", &retention.retention.describe());
        if let Some(year) = retention.closed_year {
            bag.info("Dossier-Closed-Year", &year.to_string());
        }
        if let Some(day) = retention.disposable_from {
            bag.info("Dossier-Disposable-From", &day.to_string());
        }
        if retention.legal_hold.is_some() {
            bag.info("Dossier-Legal-Hold", "yes");
        }
        if let Some(d) = &disposal {
            bag.info(
                "Dossier-Disposed",
                &format!(
                    "{} under {}",
                    d.approved_at.as_deref().unwrap_or_default(),
                    d.decision
                ),
            );
        }

        let description = serde_json::json!({
            "code": code,
            "id": dossier.id,
            "procedure": dossier.procedure,
            "procedure_name": procedure.as_ref().map(|p| p.name_vi.clone()),
            "agency": agency,
            "status": dossier.status.as_str(),
            "submitted_at": dossier.submitted_at.to_string(),
            "updated_at": dossier.updated_at.to_string(),
            "details": dossier.details,
            "history": dossier.history.iter().map(|t| serde_json::json!({
                "from": t.from.as_str(), "to": t.to.as_str(), "at": t.at.to_string(),
                "actor": t.actor.as_str(), "reason": t.reason, "log_index": t.ledger_index,
            })).collect::<Vec<_>>(),
            "retention": retention.retention.describe(),
            "closed_year": retention.closed_year,
            "disposable_from": retention.disposable_from.map(|d| d.to_string()),
            "legal_hold": retention.legal_hold.is_some(),
            "files": files,
            "disposal": disposal.as_ref().map(|d| serde_json::json!({
                "decision": d.decision, "disposed_at": d.approved_at,
                "log_index": d.approval_index, "files": disposed_files,
            })),
            "note": "This description is not itself in the log; every other file under data/ \
                     is, and its proof is at the same path under proofs/ with .proof.json.",
        });
        let json = serde_json::to_vec_pretty(&description).expect("a description serialises");
        bag.payload_bytes(&format!("{code}/dossier.json"), Bytes::from(json))?;
        Ok(())
    }
}

/// Where the proof of the payload file `data/<path>` is: `proofs/<path>.proof.json`.
pub fn proof_path(path_under_data: &str) -> String {
    format!("proofs/{path_under_data}.proof.json")
}
