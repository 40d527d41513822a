//! The dossier service: what the HTTP layer (and the CLI) call. Ties intake, access rules, the
//! database and the object store together.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

use crate::auth::{Principal, Role};
use crate::content::MediaType;
use crate::db::{
    Db, DbError, DocumentRow, DossierFilter, DossierRow, NewDocument, NewDossier,
    SignatureReportRow,
};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::storage::{ByteStream, ObjectStore, Sha256Digest, StorageError, SweepReport};
use crate::timestamp::Timestamp;

use super::access::{self, Act, Handling, can_see};
use super::catalogue::Catalogue;
use super::intake::{self, IntakeError, IntakeLimits, PendingDossier};
use super::signatures::{self, Originals, SignaturePolicy};
use super::transitions::{Move, record_move};
use crate::vocabulary::{Applicant, DossierCode, DossierStatus, IdNumber, TaxCode, UnitCode};
use crate::workflow::lifecycle::Actor;

/// A dossier as read back.
#[derive(Debug, Clone)]
pub struct Dossier {
    /// UUID.
    pub id: String,
    /// Dossier code.
    pub code: DossierCode,
    /// Procedure code.
    pub procedure: String,
    /// Status.
    pub status: DossierStatus,
    /// Applicant.
    pub applicant: Applicant,
    /// Further declared data (`title`, `contact`, `data`).
    pub details: serde_json::Value,
    /// When it was filed.
    pub submitted_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Its documents, in submission order (empty in listings).
    pub documents: Vec<Document>,
    /// Whether paper originals are waived (decided at intake).
    pub originals: Option<Originals>,
    /// The verified signature files (empty in listings).
    pub signatures: Vec<SignatureSummary>,
    /// Bumped by every move; name it in a move to be refused if someone else moved first.
    pub version: i64,
    /// Its moves, oldest first (empty in listings).
    pub history: Vec<super::transitions::Transition>,
    /// When it is due (working days from receipt, paused while waiting for the applicant);
    /// `None` while it waits, or for a dossier never received.
    pub due_on: Option<time::Date>,
    /// For interlinked procedures (liên thông): one part per procedure, each handled by its
    /// own agency (empty for a dossier of one procedure, and in listings).
    pub parts: Vec<Part>,
}

/// One procedure of an interlinked dossier.
#[derive(Debug, Clone)]
pub struct Part {
    /// The procedure.
    pub procedure: String,
    /// The agency that handles it.
    pub agency: String,
    /// Whether its result has been issued.
    pub done: bool,
    /// The result that completed it.
    pub result_id: Option<String>,
}

/// The outcome of one verified signature file.
#[derive(Debug, Clone)]
pub struct SignatureSummary {
    /// Report id.
    pub id: String,
    /// The signature file.
    pub signature_document_id: String,
    /// The file it signs.
    pub signed_document_id: Option<String>,
    /// ETSI indication.
    pub indication: String,
    /// ETSI sub-indication.
    pub sub_indication: Option<String>,
    /// The signer's tax code.
    pub signer_tax_code: Option<String>,
    /// SHA-256 of the stored report.
    pub report_sha256: String,
}

fn summary_from_row(r: SignatureReportRow) -> SignatureSummary {
    SignatureSummary {
        id: r.id,
        signature_document_id: r.signature_document_id,
        signed_document_id: r.signed_document_id,
        indication: r.indication,
        sub_indication: r.sub_indication,
        signer_tax_code: r.signer_tax_code,
        report_sha256: r.report_sha256,
    }
}

/// A stored document's metadata.
#[derive(Debug, Clone)]
pub struct Document {
    /// UUID.
    pub id: String,
    /// Owning dossier.
    pub dossier_id: String,
    /// The client's file name.
    pub filename: String,
    /// What the bytes are.
    pub media_type: MediaType,
    /// Bytes.
    pub size: u64,
    /// Content address.
    pub sha256: Sha256Digest,
    /// When it was stored.
    pub created_at: Timestamp,
    /// Index of its `document_stored` entry in the integrity log.
    pub ledger_index: Option<u64>,
}

/// Reading dossiers failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DossierError {
    /// No such dossier or document, or not one the caller may see.
    #[error("not found")]
    NotFound,
    /// A query parameter is wrong.
    #[error("{0}")]
    InvalidQuery(String),
    /// The request conflicts with the dossier's state (HTTP 409 with this code).
    #[error("{message}")]
    Conflict {
        /// The machine-readable code (`not_disposable`, `legal_hold`, ...).
        code: &'static str,
        /// What is in the way.
        message: String,
    },
    /// The record was disposed of: its bytes are gone on purpose (HTTP 410).
    #[error("{0}")]
    Disposed(String),
    /// A stored row no longer parses: the database was changed behind motcua's back.
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Appending to the integrity log failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// The lifecycle refuses the move (illegal, not the caller's, or a reason is wrong).
    #[error(transparent)]
    Transition(crate::workflow::lifecycle::TransitionError),
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request is not acceptable as sent.
    #[error("{0}")]
    Invalid(String),
    /// A scan of a paper original is below the quality rule (at least 200 dpi, in colour).
    #[error("{0}")]
    ScanQuality(String),
    /// Paper originals are handled only while the dossier awaits them.
    #[error("the dossier is {}, not AWAITING_ORIGINALS", .0.as_str())]
    NotAwaitingOriginals(DossierStatus),
    /// An interlinked part's result was issued already.
    #[error("the part {0} of the dossier is done already")]
    PartDone(String),
    /// Interlinked parts still wait for their results.
    #[error("the parts {} still wait for their results", .0.join(", "))]
    PartsPending(Vec<String>),
    /// Documents are added only while the dossier awaits a supplement.
    #[error("the dossier is {0}, not SUPPLEMENT_REQUESTED")]
    NotAwaitingSupplement(String),
    /// The procedure has no such paper.
    #[error("the procedure has no component {0:?}")]
    UnknownComponent(String),
    /// The caller saw an older version of the dossier, or another move got there first.
    #[error("the dossier has changed since (it is now at version {current}); reload it and retry")]
    StaleVersion {
        /// The dossier's version now.
        current: i64,
    },
    /// Paper originals cannot be waived: no valid signature of the applicant covered the
    /// dossier at intake.
    #[error(
        "paper originals cannot be waived for this dossier: no valid signature of the applicant covered it at intake"
    )]
    OriginalsRequired,
    /// The node cannot take on reading a document now (busy), or ever (too large).
    #[error(transparent)]
    Gate(#[from] crate::gate::GateError),
}

/// Listing parameters, as the caller gave them (already typed).
#[derive(Debug, Clone, Default)]
pub struct DossierQuery {
    /// Only this procedure.
    pub procedure: Option<String>,
    /// Only this status.
    pub status: Option<DossierStatus>,
    /// Only this applicant tax code.
    pub tax_code: Option<TaxCode>,
    /// Only this identification number.
    pub id_number: Option<IdNumber>,
    /// Only this dossier code.
    pub code: Option<String>,
    /// Only the dossier that issued this result code.
    pub result_code: Option<String>,
    /// Only dossiers holding a document with this SHA-256 (hex).
    pub sha256: Option<String>,
    /// Only dossiers this agency handles (its procedures, or a part of them).
    pub agency: Option<String>,
    /// Submitted at or after.
    pub submitted_from: Option<Timestamp>,
    /// Submitted before.
    pub submitted_to: Option<Timestamp>,
    /// Page size (1..=200, default 50).
    pub limit: Option<u32>,
    /// Continue after this cursor (from a previous page).
    pub cursor: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct DossierPage {
    /// Dossiers, newest first.
    pub items: Vec<Dossier>,
    /// Give this back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Dossier operations.
#[derive(Clone)]
pub struct DossierService {
    db: Db,
    store: ObjectStore,
    /// The catalogue in force; replaced whole when an administrator publishes a new one.
    catalogue: Arc<std::sync::RwLock<Arc<Catalogue>>>,
    /// The published version in force (none: the built-in or `--procedures` one).
    catalogue_version: Arc<std::sync::Mutex<Option<String>>>,
    unit: UnitCode,
    limits: IntakeLimits,
    signatures: Arc<SignaturePolicy>,
    calendar: Arc<crate::workflow::Calendar>,
    notify: bool,
    scan_quality: super::originals::ScanQuality,
    /// Objects written more recently than this are not deleted by a disposal (a request may be
    /// about to refer to the same bytes): the orphan sweep removes them later.
    orphan_grace: Duration,
    /// The memory this node lends to reading and verifying untrusted documents.
    gate: crate::gate::WorkGate,
}

impl Dossier {
    /// Whether it is past its due date on `today` and still open (not rejected, issued or
    /// returned).
    pub fn is_overdue(&self, today: time::Date) -> bool {
        use DossierStatus as S;
        !matches!(self.status, S::Rejected | S::ResultIssued | S::Returned)
            && self.due_on.is_some_and(|due| today > due)
    }
}

impl DossierService {
    /// Wires the service.
    pub fn new(
        db: Db,
        store: ObjectStore,
        catalogue: Arc<Catalogue>,
        unit: UnitCode,
        limits: IntakeLimits,
    ) -> Self {
        Self {
            db,
            store,
            catalogue: Arc::new(std::sync::RwLock::new(catalogue)),
            catalogue_version: Arc::new(std::sync::Mutex::new(None)),
            unit,
            limits,
            calendar: Arc::new(crate::workflow::Calendar::vietnam_2026()),
            notify: false,
            scan_quality: super::originals::ScanQuality::default(),
            orphan_grace: Duration::from_secs(3600),
            gate: crate::gate::WorkGate::new(
                crate::gate::DEFAULT_DOCUMENT_MEMORY,
                crate::gate::DEFAULT_WAIT,
            ),
            signatures: Arc::new(SignaturePolicy {
                options: crate::signature::VerifyOptions {
                    store: crate::pki::Store::default(),
                    revocation: crate::pki::RevocationMode::Soft,
                    at: None,
                    algorithms: crate::pki::AlgorithmPolicy::default(),
                    ocsp: true,
                },
                agency: None,
            }),
        }
    }

    /// Sets the orphan sweep's grace period (see `motcua serve --orphan-grace-secs`).
    pub fn with_orphan_grace(mut self, grace: Duration) -> Self {
        self.orphan_grace = grace;
        self
    }

    /// Reads and verifies untrusted documents under `gate` (see `motcua serve
    /// --document-memory`).
    pub fn with_work_gate(mut self, gate: crate::gate::WorkGate) -> Self {
        self.gate = gate;
        self
    }

    /// The memory this node lends to work on untrusted documents, shared by every service.
    pub fn work_gate(&self) -> &crate::gate::WorkGate {
        &self.gate
    }

    /// Whether the database answers (for readiness).
    pub async fn ping_database(&self) -> Result<(), DossierError> {
        Ok(self.db.ping().await?)
    }

    /// The orphan sweep's grace period.
    pub fn orphan_grace(&self) -> Duration {
        self.orphan_grace
    }

    /// The options signatures are verified with (trust store, revocation mode).
    pub fn signature_options(&self) -> &crate::signature::VerifyOptions {
        &self.signatures.options
    }

    /// The options with the agency trust store, when one is configured.
    pub fn agency_signature_options(&self) -> Option<&crate::signature::VerifyOptions> {
        self.signatures.agency.as_ref()
    }

    /// Verifies signatures at intake with this policy (trust store, revocation mode).
    pub fn with_signature_policy(mut self, policy: SignaturePolicy) -> Self {
        self.signatures = Arc::new(policy);
        self
    }

    /// Uses `calendar` for deadlines (Vietnam's 2026 public holidays unless set).
    pub fn with_calendar(mut self, calendar: crate::workflow::Calendar) -> Self {
        self.calendar = Arc::new(calendar);
        self
    }

    /// Queues applicants' notifications of moves in the outbox (when a webhook delivers them).
    pub fn with_notifications(mut self, on: bool) -> Self {
        self.notify = on;
        self
    }

    /// What to do with a counter scan below 200 dpi or not in colour.
    pub fn with_scan_quality(mut self, quality: super::originals::ScanQuality) -> Self {
        self.scan_quality = quality;
        self
    }

    /// What is done with a counter scan below the quality rule.
    pub fn scan_quality(&self) -> super::originals::ScanQuality {
        self.scan_quality
    }

    /// Whether moves queue notifications.
    pub fn notifies(&self) -> bool {
        self.notify
    }

    /// The access rules' view of a stored dossier: its applicant and the agencies that handle
    /// it (its parts' looked up only when they matter to `principal`:
    /// [`access::agencies_matter`]).
    async fn handling(
        &self,
        principal: &Principal,
        dossier_id: &str,
        procedure: &str,
        tax_code: Option<&str>,
        id_number: Option<&str>,
    ) -> Result<Handling, DossierError> {
        let parts = if access::agencies_matter(principal) {
            self.db
                .parts_of(dossier_id)
                .await?
                .into_iter()
                .map(|p| (p.procedure_code, p.agency))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Handling::new(
            tax_code,
            id_number,
            procedure,
            self.agency_of(procedure).as_deref(),
            parts,
        ))
    }

    /// The access rules' view of a dossier read in full (with its parts).
    pub(super) fn handling_of(&self, dossier: &Dossier) -> Handling {
        Handling::new(
            dossier.applicant.tax_code().map(TaxCode::as_str),
            dossier.applicant.id_number().map(IdNumber::as_str),
            &dossier.procedure,
            self.agency_of(&dossier.procedure).as_deref(),
            dossier
                .parts
                .iter()
                .map(|p| (p.procedure.clone(), p.agency.clone()))
                .collect(),
        )
    }

    /// Whether `principal` may do `act` on the dossier `id`: not found when it may not see it,
    /// forbidden when it sees it but the act is someone else's. Asked before a request's bytes
    /// are received, and before anything is recorded.
    pub async fn may_act(
        &self,
        principal: &Principal,
        id: &str,
        act: Act<'_>,
    ) -> Result<(), DossierError> {
        self.acting_row(principal, id, act).await.map(|_| ())
    }

    /// The stored dossier, if `principal` may do `act` on it (see [`Self::may_act`]).
    pub(super) async fn acting_row(
        &self,
        principal: &Principal,
        id: &str,
        act: Act<'_>,
    ) -> Result<DossierRow, DossierError> {
        let (row, handling) = self.visible(principal, id).await?;
        access::check_can_act(principal, &handling, act)?;
        Ok(row)
    }

    /// The dossier in full, if `principal` may do `act` on it (see [`Self::may_act`]). Not a
    /// logged read: archivists, whose reads are logged, never act.
    pub async fn acting_on(
        &self,
        principal: &Principal,
        id: &str,
        act: Act<'_>,
    ) -> Result<Dossier, DossierError> {
        let row = self.acting_row(principal, id, act).await?;
        self.assemble(row).await
    }

    /// The agency responsible for a procedure (none when the catalogue no longer has it).
    pub fn agency_of(&self, procedure: &str) -> Option<String> {
        self.catalogue().get(procedure).map(|p| p.agency.clone())
    }

    /// The working-day calendar.
    pub fn calendar(&self) -> &crate::workflow::Calendar {
        &self.calendar
    }

    /// The catalogue in force.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts `catalogue` in force on this node (requests under way keep the one they started
    /// with).
    pub fn replace_catalogue(&self, catalogue: Catalogue) {
        *self.catalogue.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(catalogue);
    }

    /// Publishes `toml` as the procedure catalogue (administrators): checked like a
    /// `--procedures` file, stored with its SHA-256, logged (`catalogue_published`), in force on
    /// this node at once and on the others at their next refresh (a few seconds).
    pub async fn publish_catalogue(
        &self,
        principal: &Principal,
        toml: &str,
    ) -> Result<Arc<Catalogue>, DossierError> {
        if principal.role != Role::Admin {
            return Err(DossierError::Forbidden(
                "only administrators publish the catalogue",
            ));
        }
        let catalogue =
            Catalogue::from_toml(toml).map_err(|e| DossierError::Invalid(e.to_string()))?;
        let sha = Sha256Digest::of(toml.as_bytes()).to_hex();
        let id = uuid::Uuid::new_v4().to_string();
        let now = Timestamp::now();
        let mut tx = self.db.begin().await?;
        let appended = ledger::append(
            &mut tx,
            &now,
            &[EntryDraft::new(EntryKind::CataloguePublished)
                .text("catalogue", id.clone())
                .text("sha256", sha.clone())],
        )
        .await?;
        tx.insert_catalogue(&crate::db::CatalogueRow {
            id: id.clone(),
            toml: toml.to_owned(),
            sha256: sha,
            published_by: principal.token_id.clone(),
            published_at: now.to_string(),
            ledger_index: appended[0].index as i64,
        })
        .await?;
        tx.commit().await?;
        self.replace_catalogue(catalogue);
        *self
            .catalogue_version
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(id.clone());
        tracing::info!(catalogue = %id, by = %principal.token_id, "catalogue published");
        Ok(self.catalogue())
    }

    /// Puts the latest published catalogue in force if this node does not run it yet; true
    /// when it changed. Called at start and periodically.
    pub async fn refresh_catalogue(&self) -> Result<bool, DossierError> {
        let Some(row) = self.db.latest_catalogue().await? else {
            return Ok(false);
        };
        let current = self
            .catalogue_version
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if current.as_deref() == Some(row.id.as_str()) {
            return Ok(false);
        }
        let catalogue = Catalogue::from_toml(&row.toml)
            .map_err(|e| DossierError::Corrupt(format!("published catalogue {}: {e}", row.id)))?;
        self.replace_catalogue(catalogue);
        *self
            .catalogue_version
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(row.id.clone());
        tracing::info!(catalogue = %row.id, "catalogue in force");
        Ok(true)
    }

    /// The intake limits.
    pub fn limits(&self) -> &IntakeLimits {
        &self.limits
    }

    /// Step 1 of intake: the declaration.
    pub fn begin_intake(
        &self,
        principal: &Principal,
        declaration: &[u8],
    ) -> Result<PendingDossier, IntakeError> {
        intake::parse_declaration(&self.catalogue(), principal, declaration)
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
        let sequence = tx
            .next_dossier_sequence(self.unit.as_str(), &DossierCode::day_key(date))
            .await?;
        let code = DossierCode::new(
            &self.unit,
            date,
            u32::try_from(sequence).unwrap_or(u32::MAX),
        );
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
            for p in std::iter::once(&pending.procedure).chain(&pending.linked) {
                tx.insert_part(&id, &p.code, &p.agency).await?;
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
            parts: self
                .db
                .parts_of(&dossier_id)
                .await?
                .into_iter()
                .map(part_from_row)
                .collect(),
        })
    }

    /// The stored dossier, whoever asks (not found for an id that is not a UUID).
    async fn stored_row(&self, id: &str) -> Result<DossierRow, DossierError> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(DossierError::NotFound);
        }
        self.db.dossier(id).await?.ok_or(DossierError::NotFound)
    }

    /// [`Self::handling`] of a stored dossier.
    async fn row_handling(
        &self,
        principal: &Principal,
        row: &DossierRow,
    ) -> Result<Handling, DossierError> {
        self.handling(
            principal,
            &row.id,
            &row.procedure_code,
            row.applicant_tax_code.as_deref(),
            row.applicant_id_number.as_deref(),
        )
        .await
    }

    /// The stored dossier, if the caller may see it (else not found, like a made-up id).
    pub(super) async fn visible_row(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<DossierRow, DossierError> {
        self.visible(principal, id).await.map(|(row, _)| row)
    }

    /// [`Self::visible_row`], with the access rules' view of it for what the caller does next.
    pub(super) async fn visible(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(DossierRow, Handling), DossierError> {
        let row = self.stored_row(id).await?;
        let handling = self.row_handling(principal, &row).await?;
        if !can_see(principal, &handling) {
            return Err(DossierError::NotFound);
        }
        Ok((row, handling))
    }

    /// A dossier with its documents, if the caller may see it.
    pub async fn get(&self, principal: &Principal, id: &str) -> Result<Dossier, DossierError> {
        let row = self.visible_row(principal, id).await?;
        self.log_archivist_read(principal, "dossier", id).await?;
        self.assemble(row).await
    }

    /// A dossier with its documents, signatures, history and parts, from its row (no access
    /// check: for the service's own work).
    pub(super) async fn assemble(&self, row: DossierRow) -> Result<Dossier, DossierError> {
        let mut dossier = dossier_from_row(row)?;
        dossier.documents = self
            .db
            .documents_of(&dossier.id)
            .await?
            .into_iter()
            .map(document_from_row)
            .collect::<Result<_, _>>()?;
        dossier.signatures = self
            .db
            .signature_reports_of(&dossier.id)
            .await?
            .into_iter()
            .map(summary_from_row)
            .collect();
        dossier.history = self.history(&dossier.id).await?;
        dossier.parts = self
            .db
            .parts_of(&dossier.id)
            .await?
            .into_iter()
            .map(part_from_row)
            .collect();
        Ok(dossier)
    }

    /// The object store it keeps files in.
    pub fn store(&self) -> &ObjectStore {
        &self.store
    }

    /// The receiving unit (first part of every dossier code).
    pub fn unit(&self) -> &UnitCode {
        &self.unit
    }

    /// The database it reads (for the archive's exports, which read the same records).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A page of the dossiers the caller may see, newest first.
    pub async fn list(
        &self,
        principal: &Principal,
        query: DossierQuery,
    ) -> Result<DossierPage, DossierError> {
        let limit = query.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(DossierError::InvalidQuery(
                "limit must be between 1 and 200".into(),
            ));
        }
        let before = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let mut filter = DossierFilter {
            tax_code: query.tax_code.map(|t| t.as_str().to_owned()),
            id_number: query.id_number.map(|n| n.as_str().to_owned()),
            procedure_code: query.procedure,
            procedure_codes: None,
            part_agency: None,
            result_code: query.result_code,
            document_sha256: query
                .sha256
                .map(|s| {
                    Sha256Digest::from_hex(&s.to_ascii_lowercase())
                        .map(|d| d.to_hex())
                        .map_err(|_| {
                            DossierError::InvalidQuery("sha256 is 64 hexadecimal digits".into())
                        })
                })
                .transpose()?,
            tax_code_branches: false,
            status: query.status.map(|s| s.as_str().to_owned()),
            code: query.code,
            submitted_from: query.submitted_from.map(|t| t.to_string()),
            submitted_to: query.submitted_to.map(|t| t.to_string()),
            before,
            limit: i64::from(limit) + 1,
        };
        // Confine businesses and citizens to their own dossiers. Asking for someone else's
        // identifier yields an empty page, not an error that would confirm it exists.
        match principal.role {
            Role::Business => {
                let own = principal.tax_code.as_ref().map(|t| t.as_str().to_owned());
                match (&filter.tax_code, &own) {
                    // One of its branches, asked for by name.
                    (Some(asked), Some(own))
                        if super::access::covers(own, principal.branches, asked) => {}
                    (Some(_), _) => {
                        return Ok(DossierPage {
                            items: vec![],
                            next_cursor: None,
                        });
                    }
                    (None, _) => {
                        filter.tax_code = own;
                        filter.tax_code_branches = principal.branches;
                    }
                }
                filter.tax_code.get_or_insert_with(|| "\u{0}".into());
            }
            Role::Citizen => {
                let own = principal.id_number.as_ref().map(|n| n.as_str().to_owned());
                if filter.id_number.is_some() && filter.id_number != own {
                    return Ok(DossierPage {
                        items: vec![],
                        next_cursor: None,
                    });
                }
                filter.id_number = own;
                filter.id_number.get_or_insert_with(|| "\u{0}".into());
            }
            // An agency's officer: that agency's procedures only.
            Role::Officer => {
                if let Some(own) = principal.agency.as_deref() {
                    filter.procedure_codes = Some(
                        self.catalogue()
                            .iter()
                            .filter(|p| p.agency == own)
                            .map(|p| p.code.clone())
                            .collect(),
                    );
                    filter.part_agency = Some(own.to_owned());
                }
            }
            Role::Archivist | Role::Admin => {}
        }
        if let Some(agency) = query.agency.as_deref() {
            // An agency's officer asking for another agency: nothing to show.
            if filter
                .part_agency
                .as_deref()
                .is_some_and(|own| own != agency)
            {
                return Ok(DossierPage {
                    items: vec![],
                    next_cursor: None,
                });
            }
            filter.procedure_codes = Some(
                self.catalogue()
                    .iter()
                    .filter(|p| p.agency == agency)
                    .map(|p| p.code.clone())
                    .collect(),
            );
            filter.part_agency = Some(agency.to_owned());
        }
        let mut rows = self.db.list_dossiers(&filter).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => Some(encode_cursor(&last.submitted_at, &last.id)),
            _ => None,
        };
        let items = rows
            .into_iter()
            .map(dossier_from_row)
            .collect::<Result<_, _>>()?;
        Ok(DossierPage { items, next_cursor })
    }

    /// A document's metadata, if the caller may see its dossier.
    pub async fn document(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Document, DossierError> {
        let row = self.db.document(id).await?.ok_or(DossierError::NotFound)?;
        let handling = self
            .handling(
                principal,
                &row.dossier_id,
                &row.procedure_code,
                row.applicant_tax_code.as_deref(),
                row.applicant_id_number.as_deref(),
            )
            .await?;
        if !can_see(principal, &handling) {
            return Err(DossierError::NotFound);
        }
        self.log_archivist_read(principal, "document", id).await?;
        document_from_row(row)
    }

    /// Every read by an archivist is an entry in the log, committed before the record is served:
    /// if it cannot be logged, it is not served.
    async fn log_archivist_read(
        &self,
        principal: &Principal,
        field: &'static str,
        id: &str,
    ) -> Result<(), DossierError> {
        self.log_archivist_reads(principal, field, std::slice::from_ref(&id.to_owned()))
            .await
    }

    /// [`Self::log_archivist_read`] of many records, in one transaction.
    async fn log_archivist_reads(
        &self,
        principal: &Principal,
        field: &'static str,
        ids: &[String],
    ) -> Result<(), DossierError> {
        if principal.role != Role::Archivist || ids.is_empty() {
            return Ok(());
        }
        let drafts: Vec<EntryDraft> = ids
            .iter()
            .map(|id| {
                EntryDraft::new(EntryKind::RecordRead)
                    .text("reader", principal.token_id.clone())
                    .text(field, id.clone())
            })
            .collect();
        let mut tx = self.db.begin().await?;
        ledger::append(&mut tx, &Timestamp::now(), &drafts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Dossiers the caller may see, in full (an archive export): every one is checked first,
    /// then an archivist's reads of all are logged in one transaction, then they are read.
    pub async fn get_many(
        &self,
        principal: &Principal,
        ids: &[String],
    ) -> Result<Vec<Dossier>, DossierError> {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.push(self.visible_row(principal, id).await?);
        }
        self.log_archivist_reads(principal, "dossier", ids).await?;
        let mut dossiers = Vec::with_capacity(rows.len());
        for row in rows {
            dossiers.push(self.assemble(row).await?);
        }
        Ok(dossiers)
    }

    /// A signature report's record (its stored digest and log entry), if the caller may see its
    /// dossier.
    pub async fn signature_report_record(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<crate::db::SignatureReportRow, DossierError> {
        let row = self
            .db
            .signature_report(id)
            .await?
            .ok_or(DossierError::NotFound)?;
        self.get(principal, &row.dossier_id).await?;
        Ok(row)
    }

    /// A signature report (JSON bytes), if the caller may see its dossier.
    pub async fn signature_report(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Vec<u8>, DossierError> {
        let row = self
            .db
            .signature_report(id)
            .await?
            .ok_or(DossierError::NotFound)?;
        // Access follows the dossier's.
        self.get(principal, &row.dossier_id).await?;
        self.refuse_disposed(&row.dossier_id).await?;
        let sha = Sha256Digest::from_hex(&row.report_sha256)
            .map_err(|_| corrupt("report sha256", &row.report_sha256))?;
        let mut stream = self.store.get(&sha, None).await?;
        let mut out = Vec::new();
        use futures_util::StreamExt as _;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.map_err(|e| {
                DossierError::Storage(StorageError::Io {
                    context: "reading a signature report".into(),
                    source: e,
                })
            })?);
        }
        Ok(out)
    }

    /// A document's bytes, or the range `start..end` of them.
    pub async fn document_content(
        &self,
        document: &Document,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<ByteStream, DossierError> {
        self.refuse_disposed(&document.dossier_id).await?;
        Ok(self.store.get(&document.sha256, range).await?)
    }

    /// [`DossierError::Disposed`] when the dossier's records were disposed of.
    pub async fn refuse_disposed(&self, dossier_id: &str) -> Result<(), DossierError> {
        match self
            .db
            .disposal(dossier_id)
            .await?
            .as_ref()
            .and_then(disposed)
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Removes orphaned objects and unfinished uploads older than `grace`.
    pub async fn sweep_orphans(&self, grace: Duration) -> Result<SweepReport, DossierError> {
        let db = self.db.clone();
        self.store
            .sweep(grace, move |sha| {
                let db = db.clone();
                async move { db.object_is_referenced(&sha.to_hex()).await }
            })
            .await
            .map_err(|e| match e {
                crate::storage::SweepError::Storage(s) => DossierError::Storage(s),
                crate::storage::SweepError::Reference(d) => DossierError::Db(d),
            })
    }
}

fn corrupt(what: &str, value: &str) -> DossierError {
    DossierError::Corrupt(format!("{what} {value:?}"))
}

/// [`DossierError::Disposed`] when the disposal was carried out.
pub(super) fn disposed(d: &crate::db::DisposalRow) -> Option<DossierError> {
    let at = d.approved_at.as_deref()?;
    Some(DossierError::Disposed(format!(
        "the dossier's records were disposed of on {at} under decision {:?}; the log keeps \
         their entries",
        d.decision
    )))
}

pub(super) fn dossier_from_row(row: DossierRow) -> Result<Dossier, DossierError> {
    let applicant = match (
        row.applicant_kind.as_str(),
        row.applicant_tax_code,
        row.applicant_id_number,
    ) {
        ("business", Some(t), _) => Applicant::Business {
            tax_code: TaxCode::parse_recorded(&t).map_err(|_| corrupt("tax code", &t))?,
            name: row.applicant_name,
        },
        ("citizen", _, Some(n)) => Applicant::Citizen {
            id_number: IdNumber::parse_recorded(&n).map_err(|_| corrupt("id number", &n))?,
            name: row.applicant_name,
        },
        (kind, _, _) => return Err(corrupt("applicant kind", kind)),
    };
    Ok(Dossier {
        status: DossierStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
        submitted_at: Timestamp::parse(&row.submitted_at)
            .map_err(|_| corrupt("time", &row.submitted_at))?,
        updated_at: Timestamp::parse(&row.updated_at)
            .map_err(|_| corrupt("time", &row.updated_at))?,
        details: serde_json::from_str(&row.details)
            .map_err(|_| corrupt("details", &row.details))?,
        code: DossierCode::from_stored(row.code),
        id: row.id,
        procedure: row.procedure_code,
        applicant,
        documents: Vec::new(),
        originals: row.originals.as_deref().map(|o| Originals {
            waived: o == "waived",
            reason: row.originals_reason.clone(),
        }),
        signatures: Vec::new(),
        version: row.version,
        history: Vec::new(),
        parts: Vec::new(),
        due_on: row
            .due_on
            .as_deref()
            .map(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                    .map_err(|_| corrupt("due date", d))
            })
            .transpose()?,
    })
}

fn part_from_row(row: crate::db::PartRow) -> Part {
    Part {
        done: row.status == "done",
        procedure: row.procedure_code,
        agency: row.agency,
        result_id: row.result_id,
    }
}

fn document_from_row(row: DocumentRow) -> Result<Document, DossierError> {
    Ok(Document {
        media_type: MediaType::from_canonical(&row.media_type)
            .ok_or_else(|| corrupt("media type", &row.media_type))?,
        sha256: Sha256Digest::from_hex(&row.sha256).map_err(|_| corrupt("sha256", &row.sha256))?,
        size: u64::try_from(row.size).map_err(|_| corrupt("size", &row.size.to_string()))?,
        created_at: Timestamp::parse(&row.created_at)
            .map_err(|_| corrupt("time", &row.created_at))?,
        ledger_index: row.ledger_index.map(|i| i as u64),
        id: row.id,
        dossier_id: row.dossier_id,
        filename: row.filename,
    })
}

fn encode_cursor(at: &str, id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}|{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, String), DossierError> {
    use base64::Engine as _;
    let invalid = || DossierError::InvalidQuery("cursor is not one this service issued".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (at, id) = text.split_once('|').ok_or_else(invalid)?;
    Timestamp::parse(at).map_err(|_| invalid())?;
    uuid::Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((at.to_owned(), id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let id = uuid::Uuid::new_v4().to_string();
        let c = encode_cursor("2026-11-27T16:30:00.500000Z", &id);
        assert_eq!(
            decode_cursor(&c).unwrap(),
            ("2026-11-27T16:30:00.500000Z".to_owned(), id)
        );
        assert!(matches!(
            decode_cursor("nonsense!"),
            Err(DossierError::InvalidQuery(_))
        ));
    }
}
