//! The dossier service: what the HTTP layer (and the CLI) call. Ties intake, access rules, the
//! database and the object store together; filing is `filing.rs`, finding `search.rs`, the
//! model `model.rs`.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Principal, Role};
use crate::db::{Db, DossierRow};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::storage::{ByteStream, ObjectStore, Sha256Digest, StorageError, SweepReport};
use crate::timestamp::Timestamp;

use super::access::{self, Act, Handling, can_see};
use super::catalogue::Catalogue;
use super::intake::IntakeLimits;
use super::model::{
    Document, Dossier, DossierError, corrupt, disposed, document_from_row, dossier_from_row,
    part_from_row, summary_from_row,
};
use super::signatures::SignaturePolicy;
use crate::vocabulary::UnitCode;

/// Dossier operations.
#[derive(Clone)]
pub struct DossierService {
    pub(super) db: Db,
    pub(super) store: ObjectStore,
    /// The catalogue in force; replaced whole when an administrator publishes a new one.
    pub(super) catalogue: Arc<std::sync::RwLock<Arc<Catalogue>>>,
    /// The published version in force (none: the built-in or `--procedures` one).
    pub(super) catalogue_version: Arc<std::sync::Mutex<Option<String>>>,
    /// The unit codes of dossiers filed where no unit is named and none is settled otherwise.
    pub(super) unit: UnitCode,
    /// The administrative units that receive dossiers.
    pub(super) units: crate::unit::Units,
    pub(super) limits: IntakeLimits,
    pub(super) signatures: Arc<SignaturePolicy>,
    pub(super) calendar: Arc<crate::workflow::Calendar>,
    pub(super) notify: bool,
    pub(super) scan_quality: super::model::ScanQuality,
    /// Objects written more recently than this are not deleted by a disposal (a request may be
    /// about to refer to the same bytes): the orphan sweep removes them later.
    pub(super) orphan_grace: Duration,
    /// The memory this node lends to reading and verifying untrusted documents.
    pub(super) gate: crate::gate::WorkGate,
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
            units: crate::unit::Units::new(db.clone()),
            db,
            store,
            catalogue: Arc::new(std::sync::RwLock::new(catalogue)),
            catalogue_version: Arc::new(std::sync::Mutex::new(None)),
            unit,
            limits,
            calendar: Arc::new(crate::workflow::Calendar::vietnam_2026()),
            notify: false,
            scan_quality: super::model::ScanQuality::default(),
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
    pub fn with_scan_quality(mut self, quality: super::model::ScanQuality) -> Self {
        self.scan_quality = quality;
        self
    }

    /// What is done with a counter scan below the quality rule.
    pub fn scan_quality(&self) -> super::model::ScanQuality {
        self.scan_quality
    }

    /// Whether moves queue notifications.
    pub fn notifies(&self) -> bool {
        self.notify
    }

    /// The access rules' view of a stored dossier: its applicant and the agencies that handle
    /// it (its parts' looked up only when they matter to `principal`:
    /// [`access::agencies_matter`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn handling(
        &self,
        principal: &Principal,
        dossier_id: &str,
        procedure: &str,
        tax_code: Option<&str>,
        id_number: Option<&str>,
        unit: Option<&str>,
    ) -> Result<Handling, DossierError> {
        let reach = self.reach(principal).await?;
        let received = reach.admits(unit);
        // Parts matter to an agency's officer (which agency handles what), and to staff of a
        // unit that did not receive the dossier (which parts are processed at theirs).
        let part_rows = if access::agencies_matter(principal)
            || (!received && access::units_matter(principal))
        {
            self.db.parts_of(dossier_id).await?
        } else {
            Vec::new()
        };
        let handling = Handling::new(
            tax_code,
            id_number,
            procedure,
            self.agency_of(procedure).as_deref(),
            part_rows
                .iter()
                .map(|p| (p.procedure_code.clone(), p.agency.clone()))
                .collect(),
        );
        Ok(if received {
            handling
        } else {
            let here = part_rows
                .iter()
                .filter(|p| reach.admits(p.unit_code.as_deref().or(unit)))
                .map(|p| p.procedure_code.clone())
                .collect();
            handling.received_elsewhere(here)
        })
    }

    /// The codes of the units `principal` reaches (every unit for those bound to none): the
    /// units an administrator may bind the tokens it creates to.
    pub async fn units_in_reach(&self, principal: &Principal) -> Result<Vec<String>, DossierError> {
        let all = self.units.list().await?;
        let reach = access::reach(principal, &all);
        Ok(all
            .into_iter()
            .map(|u| u.code.as_str().to_owned())
            .filter(|c| reach.admits(Some(c)))
            .collect())
    }

    /// The units whose dossiers `principal` reaches (the units read only when they matter).
    pub(super) async fn reach(&self, principal: &Principal) -> Result<access::Reach, DossierError> {
        if !access::units_matter(principal) {
            return Ok(access::Reach::Everywhere);
        }
        let units = self.units.list().await?;
        Ok(access::reach(principal, &units))
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
            row.unit_code.as_deref(),
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
        self.get_handled(principal, id).await.map(|(d, _)| d)
    }

    /// [`Self::get`], with the access rules' view of the dossier it found, for what the caller
    /// asks next (the moves it may make) without looking it up again.
    pub(super) async fn get_handled(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(Dossier, Handling), DossierError> {
        let (row, handling) = self.visible(principal, id).await?;
        self.log_archivist_read(principal, "dossier", id).await?;
        self.record_read(principal, id, "dossier").await?;
        Ok((self.assemble(row).await?, handling))
    }

    /// Records a staff member's read of an applicant's dossier, so the applicant can see who
    /// opened it (personal-data rules). Reads by one caller of one thing within ten minutes are
    /// one record (the id is derived from them, and a second insert is a no-op). Like an
    /// archivist's read, a read that cannot be recorded is not served.
    async fn record_read(
        &self,
        principal: &Principal,
        dossier_id: &str,
        what: &str,
    ) -> Result<(), DossierError> {
        if !principal.role.is_staff() {
            return Ok(());
        }
        let now = Timestamp::now();
        let window = now.as_offset_date_time().unix_timestamp() / 600;
        let id = crate::storage::Sha256Digest::of(
            format!("{}|{dossier_id}|{what}|{window}", principal.token_id).as_bytes(),
        )
        .to_hex();
        self.db
            .insert_read(&crate::db::ReadRow {
                id,
                dossier_id: dossier_id.to_owned(),
                at: now.to_string(),
                reader: principal.token_id.clone(),
                reader_name: principal.name.clone(),
                role: principal.role.as_str().to_owned(),
                unit_code: principal.unit.as_ref().map(|u| u.as_str().to_owned()),
                agency: principal.agency.clone(),
                what: what.to_owned(),
            })
            .await?;
        Ok(())
    }

    /// Who among staff read a dossier the caller may see, oldest first.
    pub async fn reads(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Vec<super::DossierRead>, DossierError> {
        self.visible_row(principal, id).await?;
        Ok(self
            .db
            .reads_of(id)
            .await?
            .into_iter()
            .map(|r| super::DossierRead {
                at: r.at,
                name: r.reader_name,
                role: r.role,
                unit: r.unit_code,
                agency: r.agency,
                what: r.what,
            })
            .collect())
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

    /// The configured unit (the first unit of a new deployment).
    pub fn unit(&self) -> &UnitCode {
        &self.unit
    }

    /// The administrative units.
    pub fn units(&self) -> &crate::unit::Units {
        &self.units
    }

    /// The database it reads (for the archive's exports, which read the same records).
    pub fn db(&self) -> &Db {
        &self.db
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
                row.unit_code.as_deref(),
            )
            .await?;
        if !can_see(principal, &handling) {
            return Err(DossierError::NotFound);
        }
        self.log_archivist_read(principal, "document", id).await?;
        self.record_read(principal, &row.dossier_id, &format!("document:{id}"))
            .await?;
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
