//! Results: the documents an agency issues for a dossier — rendered (`pdf::render`), signed by
//! the agency (PAdES, with a visible signature block), stored content-addressed, logged — and
//! their public verification.
//!
//! Owns: result codes (`<dossier code>-KQ<n>`), the issuing identity, and the answer the public
//! verification page gives. Who may issue and revoke which result is `dossier::access`'s (a
//! part's agency its part's, the lead agency and the counter the rest); which kinds complete a
//! part is its procedure's (`Procedure::results`). An issued result is never
//! changed: revoking one is a new logged event, and the revoked PDF stays retrievable.
//! Never knows: axum, SQL text, S3. Never lets the signing key out of `SigningIdentity`.

use std::sync::Arc;

use crate::auth::Principal;
use crate::db::{Db, DbError, ResultRow, RevocationRow};
use crate::dossier::access::Act;
use crate::dossier::{DossierError, DossierService};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::pdf::render::{self, RenderError, ResultDocument, ResultKind};
use crate::signature::appearance::{Appearance, DEFAULT_TIME_PATTERN, Placement};
use crate::signature::sign::{Level, PdfSignOptions, SignError, SigningIdentity, open_incremental};
use crate::signature::{Indication, VerifyOptions};
use crate::storage::{ByteStream, ObjectStore, Sha256Digest, StorageError};
use crate::timestamp::Timestamp;

/// Who signs results, and how.
pub struct Issuer {
    /// The agency's key and certificate.
    pub identity: SigningIdentity,
    /// The agency's name as printed and shown in the signature block.
    pub agency: String,
    /// The PAdES level.
    pub level: Level,
    /// The time-stamping authority (B-T and B-LT).
    pub tsa: Option<String>,
    /// What the signature is validated against before its material goes into the DSS (B-LT).
    pub validation: Option<VerifyOptions>,
    /// How the signing time is shown in the block.
    pub time_pattern: String,
    /// A seal image (PNG) for the block.
    pub seal: Option<Vec<u8>>,
    /// Whether this is the demo identity from `certs/` (results say so in the log).
    pub demo: bool,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("agency", &self.agency)
            .field("level", &self.level)
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// The demo agency identity made by `scripts/make-demo-certs.sh` (built into the binary):
    /// for the embedded default only.
    pub fn demo() -> Result<Self, SignError> {
        Ok(Self {
            identity: SigningIdentity::from_pem(
                include_bytes!("../../certs/demo-agency.key.pem"),
                include_bytes!("../../certs/demo-agency.pem"),
                b"",
            )?,
            agency: "Cơ quan cấp kết quả (DEMO)".into(),
            level: Level::BB,
            tsa: None,
            validation: None,
            time_pattern: DEFAULT_TIME_PATTERN.into(),
            seal: None,
            demo: true,
        })
    }

    /// Signs `pdf` at this issuer's level (TSA, DSS material as configured) with the visible
    /// `block` in a new field `field`, claimed at `time`.
    fn sign(
        &self,
        pdf: lopdf::IncrementalDocument,
        block: &Appearance,
        time: time::OffsetDateTime,
        field: &str,
    ) -> Result<Vec<u8>, ResultError> {
        let options = PdfSignOptions {
            level: self.level,
            tsa: self.tsa.as_deref(),
            validation: self.validation.as_ref(),
            appearance: Some(block),
            ..PdfSignOptions::new(time, field)
        };
        Ok(crate::signature::sign::sign_incremental_with(
            pdf,
            &self.identity,
            &options,
        )?)
    }

    /// The demo government root the demo identity chains to.
    pub fn demo_root() -> &'static [u8] {
        include_bytes!("../../certs/demo-root-ca.pem")
    }
}

/// What a result is recorded as.
struct Recording<'a> {
    /// The kind's name.
    kind: &'a str,
    /// Its title.
    title: String,
    /// For a result: the part it completes (`Some(None)`: the dossier's own procedure); none
    /// for a certified copy.
    completes: Option<Option<String>>,
}

/// What an officer asks for.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The template.
    pub kind: ResultKind,
    /// The title; the kind's default when empty.
    pub title: String,
    /// Label/value rows.
    pub fields: Vec<(String, String)>,
    /// The place printed before the date.
    pub place: String,
    /// The due date (receipts).
    pub due_date: Option<time::Date>,
    /// For an interlinked dossier: the procedure (part) this result completes; the dossier's
    /// own when `None`.
    pub procedure: Option<String>,
}

/// Why a result operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultError {
    /// No such result or dossier, or not one the caller may see.
    #[error("not found")]
    NotFound,
    /// The request cannot be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The request is wrong in another way.
    #[error("{0}")]
    Invalid(String),
    /// Already revoked.
    #[error("the result {0} is already revoked")]
    AlreadyRevoked(String),
    /// No issuing identity is configured.
    #[error("no issuing identity is configured (see `motcua serve --help`, --issuer-key)")]
    NoIssuer,
    /// Signing failed (key, TSA, revocation data).
    #[error(transparent)]
    Signing(#[from] SignError),
    /// Reading the dossier failed.
    #[error(transparent)]
    Dossier(#[from] DossierError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The log failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// The node cannot take on reading the document now, or ever.
    #[error(transparent)]
    Gate(#[from] crate::gate::GateError),
    /// A stored row does not parse.
    #[error("stored result is corrupt: {0}")]
    Corrupt(String),
    /// The kind is not one the part's procedure issues (`Procedure::results`): an agency issues
    /// the results of its own procedure, never another procedure's certificate.
    #[error(
        "{procedure} does not issue {}: its results are {}",
        .kind.as_str(),
        .allowed.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
    )]
    KindNotForProcedure {
        /// The kind asked for.
        kind: ResultKind,
        /// The procedure of the part.
        procedure: String,
        /// The kinds it issues.
        allowed: Vec<ResultKind>,
    },
}

/// A revocation as shown.
#[derive(Debug, Clone)]
pub struct Revocation {
    /// Why.
    pub reason: String,
    /// When.
    pub revoked_at: String,
    /// Its log entry.
    pub ledger_index: u64,
}

/// An issued result as shown.
#[derive(Debug, Clone)]
pub struct IssuedResult {
    /// UUID.
    pub id: String,
    /// `<dossier code>-KQ<n>`.
    pub code: String,
    /// The dossier.
    pub dossier_id: String,
    /// The template.
    pub kind: String,
    /// The printed title.
    pub title: String,
    /// The signed PDF.
    pub sha256: Sha256Digest,
    /// Its size.
    pub size: u64,
    /// The agency.
    pub agency: String,
    /// The signing certificate's subject.
    pub signer: String,
    /// PAdES level.
    pub level: String,
    /// When.
    pub issued_at: String,
    /// Its `result_issued` entry.
    pub ledger_index: u64,
    /// The public verification page.
    pub verify_url: String,
    /// When revoked.
    pub revocation: Option<Revocation>,
}

/// The answer to "is this file a genuine result?".
#[derive(Debug, Clone)]
pub struct UploadVerdict {
    /// The file's SHA-256.
    pub sha256: Sha256Digest,
    /// The results stored with exactly these bytes.
    pub matches: Vec<IssuedResult>,
    /// motcua's verification of the file's signatures against the agency trust store.
    pub report: crate::signature::Report,
}

/// Result operations.
#[derive(Clone)]
pub struct ResultService {
    db: Db,
    store: ObjectStore,
    dossiers: DossierService,
    issuer: Option<Arc<Issuer>>,
    public_url: String,
    verify: Arc<VerifyOptions>,
}

/// Result texts, at most: a title, the place before the date, body rows and each label or value
/// of a row. A result is one A4 page; these bound the work before rendering says so.
const MAX_TITLE_CHARS: usize = 300;
const MAX_PLACE_CHARS: usize = 100;
const MAX_FIELDS: usize = 40;
const MAX_FIELD_CHARS: usize = 1000;

/// Whether a result field's label says it prints a tax code ("Mã số thuế", "Mã số doanh
/// nghiệp", "MST"), whatever its case and Unicode normalisation.
fn prints_a_tax_code(label: &str) -> bool {
    use unicode_normalization::UnicodeNormalization as _;
    let label: String = label.nfc().collect::<String>().to_lowercase();
    let label = label.trim().trim_end_matches(':').trim();
    label == "mst" || label.contains("mã số thuế") || label.contains("mã số doanh nghiệp")
}

/// Result codes are `<dossier code>-KQ<n>`: letters, digits and dashes only.
pub fn plausible_code(code: &str) -> bool {
    code.len() <= 64
        && code.contains("-KQ")
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

impl ResultService {
    /// Wires the service. `verify` is what results (and uploads) are verified against: the
    /// agency trust store.
    pub fn new(
        db: Db,
        store: ObjectStore,
        dossiers: DossierService,
        issuer: Option<Issuer>,
        public_url: String,
        verify: VerifyOptions,
    ) -> Self {
        Self {
            db,
            store,
            dossiers,
            issuer: issuer.map(Arc::new),
            public_url: public_url.trim_end_matches('/').to_owned(),
            verify: Arc::new(verify),
        }
    }

    /// The public verification page of a result.
    pub fn verify_url(&self, code: &str) -> String {
        format!("{}/verify/{code}", self.public_url)
    }

    fn shown(
        &self,
        row: ResultRow,
        revocation: Option<RevocationRow>,
    ) -> Result<IssuedResult, ResultError> {
        Ok(IssuedResult {
            verify_url: self.verify_url(&row.code),
            sha256: Sha256Digest::from_hex(&row.sha256)
                .map_err(|_| ResultError::Corrupt(format!("sha256 {:?}", row.sha256)))?,
            size: row.size as u64,
            ledger_index: row.ledger_index as u64,
            revocation: revocation.map(|r| Revocation {
                reason: r.reason,
                revoked_at: r.revoked_at,
                ledger_index: r.ledger_index as u64,
            }),
            id: row.id,
            code: row.code,
            dossier_id: row.dossier_id,
            kind: row.kind,
            title: row.title,
            agency: row.agency,
            signer: row.signer,
            level: row.level,
            issued_at: row.issued_at,
        })
    }

    async fn load(&self, row: ResultRow) -> Result<IssuedResult, ResultError> {
        let revocation = self.db.revocation_of(&row.id).await?;
        self.shown(row, revocation)
    }

    /// Issues a result for a dossier: render, sign, store, log. Refused, with nothing issued,
    /// in this order: a dossier the caller may not see (not found); one it may not issue this
    /// for ([`Act::IssueReceipt`] for the receipt, the lead agency's or the counter's;
    /// [`Act::IssueResult`] for a part's result, that part's agency's or the counter's); a
    /// receipt that names a part, or a part the dossier does not have; a kind the part's
    /// procedure does not issue; a part done already; no place; no issuing identity.
    pub async fn issue(
        &self,
        principal: &Principal,
        dossier_id: &str,
        request: IssueRequest,
    ) -> Result<IssuedResult, ResultError> {
        let (dossier, completes) = self.check_issue(principal, dossier_id, &request).await?;
        let issuer = self.issuer.clone().ok_or(ResultError::NoIssuer)?;
        let title = match request.title.trim() {
            "" => request.kind.default_title().to_owned(),
            t => t.to_owned(),
        };
        let dossier_code = dossier.code.as_str().to_owned();
        let public_url = self.public_url.clone();
        let make = move |issuer: &Issuer, code: &str, issued_at: time::OffsetDateTime| {
            let document = ResultDocument {
                kind: request.kind,
                result_code: code.to_owned(),
                dossier_code: dossier_code.clone(),
                agency: issuer.agency.clone(),
                title: request.title.clone(),
                fields: request.fields.clone(),
                place: request.place.clone(),
                issued_at,
                due_date: request.due_date,
                verify_url: format!("{public_url}/verify/{code}"),
            };
            render_and_sign(issuer, &document)
        };
        self.record(
            principal,
            &issuer,
            &dossier,
            Recording {
                kind: request.kind.as_str(),
                title,
                completes,
            },
            make,
        )
        .await
    }

    /// The result `request` would issue, rendered but neither signed nor recorded, after the
    /// same checks as [`Self::issue`] (who may, which kind, what fits): for the officer to read
    /// before signing. Its code is the next one only in shape (`<dossier code>-KQ?`), its QR
    /// code leads nowhere yet, and nothing of it is kept.
    pub async fn preview(
        &self,
        principal: &Principal,
        dossier_id: &str,
        request: &IssueRequest,
    ) -> Result<Vec<u8>, ResultError> {
        let (dossier, _) = self.check_issue(principal, dossier_id, request).await?;
        let issuer = self.issuer.as_ref().ok_or(ResultError::NoIssuer)?;
        let code = format!("{}-KQ?", dossier.code.as_str());
        let document = ResultDocument {
            kind: request.kind,
            verify_url: format!("{}/verify/{code}", self.public_url),
            result_code: code,
            dossier_code: dossier.code.as_str().to_owned(),
            agency: issuer.agency.clone(),
            title: request.title.clone(),
            fields: request.fields.clone(),
            place: request.place.clone(),
            issued_at: time::OffsetDateTime::now_utc(),
            due_date: request.due_date,
        };
        Ok(crate::pdf::render::render(&document)?)
    }

    /// The checks of an issue, before anything is rendered: the dossier as the caller acts on
    /// it, and the part the result completes (`None` for a receipt).
    async fn check_issue(
        &self,
        principal: &Principal,
        dossier_id: &str,
        request: &IssueRequest,
    ) -> Result<(crate::dossier::Dossier, Option<Option<String>>), ResultError> {
        // The receipt is the whole dossier's and completes no part; any other kind completes
        // the part it is for.
        let receipt = request.kind == ResultKind::DossierReceipt;
        let act = if receipt {
            Act::IssueReceipt
        } else {
            Act::IssueResult(request.procedure.as_deref())
        };
        let dossier = self.dossiers.acting_on(principal, dossier_id, act).await?;
        let completes = if receipt {
            if let Some(p) = &request.procedure {
                return Err(DossierError::Invalid(format!(
                    "a dossier receipt is the whole dossier's: it completes no part (not {p})"
                ))
                .into());
            }
            None
        } else {
            Some(self.part_for(&dossier, request)?)
        };
        if request.place.trim().is_empty() {
            return Err(ResultError::Invalid(
                "place is required: the place printed before the date (địa danh)".into(),
            ));
        }
        // Text printed on one page: short, plain. (Rendering refuses what does not fit; this
        // refuses what could never fit before any work is done.)
        let plain = |what: String, text: &str, max: usize| {
            if text.chars().count() > max || text.chars().any(char::is_control) {
                Err(ResultError::Invalid(format!(
                    "{what}: at most {max} characters, no control characters"
                )))
            } else {
                Ok(())
            }
        };
        plain("title".into(), &request.title, MAX_TITLE_CHARS)?;
        plain("place".into(), &request.place, MAX_PLACE_CHARS)?;
        if request.fields.len() > MAX_FIELDS {
            return Err(ResultError::Invalid(format!(
                "fields: at most {MAX_FIELDS} rows"
            )));
        }
        for (i, (label, value)) in request.fields.iter().enumerate() {
            plain(format!("fields[{i}] label"), label, MAX_FIELD_CHARS)?;
            plain(format!("fields[{i}] value"), value, MAX_FIELD_CHARS)?;
        }
        // A field that prints a tax code holds one that passes the rule intake applies: a
        // certificate is never issued for a code with a wrong check digit.
        for (label, value) in &request.fields {
            if prints_a_tax_code(label) {
                crate::vocabulary::identifiers::TaxCode::parse(value).map_err(|e| {
                    ResultError::Invalid(format!("the field {label:?}: {}", e.rule))
                })?;
            }
        }
        Ok((dossier, completes))
    }

    /// The part a result completes (`None`: the dossier's own procedure, the only one of a
    /// dossier that has no parts), checked now, before anything is signed (and again when
    /// recorded): the dossier has it, it is open, and its procedure issues results of this
    /// kind.
    fn part_for(
        &self,
        dossier: &crate::dossier::Dossier,
        request: &IssueRequest,
    ) -> Result<Option<String>, ResultError> {
        let code = request.procedure.as_deref().unwrap_or(&dossier.procedure);
        if dossier.parts.is_empty() && code != dossier.procedure {
            return Err(DossierError::Invalid(format!(
                "the dossier is filed under {} only, not {code}",
                dossier.procedure
            ))
            .into());
        }
        let part = dossier.parts.iter().find(|p| p.procedure == code);
        if !dossier.parts.is_empty() && part.is_none() {
            return Err(DossierError::Invalid(format!("the dossier has no part {code}")).into());
        }
        // A procedure the catalogue no longer has can still be completed, honestly: with the
        // generic notice of the outcome, never with another procedure's certificate.
        let allowed = self
            .dossiers
            .catalogue()
            .get(code)
            .map_or_else(|| vec![ResultKind::OutcomeNotice], |p| p.results.clone());
        if !allowed.contains(&request.kind) {
            return Err(ResultError::KindNotForProcedure {
                kind: request.kind,
                procedure: code.to_owned(),
                allowed,
            });
        }
        if part.is_some_and(|p| p.done) {
            return Err(DossierError::PartDone(code.to_owned()).into());
        }
        Ok(request.procedure.clone())
    }

    /// Issues a certified electronic copy (bản sao điện tử, "SAO Y") of a scanned original stored
    /// in the dossier (PDF, or JPEG/PNG/TIFF turned into a PDF): stamped top right of page 1 with
    /// the copy type, the agency and the signing time, signed, and then a result like any other.
    /// The lead agency's or the one-stop counter's ([`Act::CertifyCopy`]).
    pub async fn certify_copy(
        &self,
        principal: &Principal,
        dossier_id: &str,
        document_id: &str,
    ) -> Result<IssuedResult, ResultError> {
        use crate::content::MediaType;
        let dossier = self
            .dossiers
            .acting_on(principal, dossier_id, Act::CertifyCopy)
            .await?;
        let issuer = self.issuer.clone().ok_or(ResultError::NoIssuer)?;
        let document = match self.dossiers.document(principal, document_id).await {
            Ok(d) if d.dossier_id == dossier.id => d,
            Ok(_) | Err(DossierError::NotFound) => return Err(ResultError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !matches!(
            document.media_type,
            MediaType::Pdf | MediaType::Jpeg | MediaType::Png | MediaType::Tiff
        ) {
            return Err(ResultError::Invalid(format!(
                "{} is {}: a certified copy is made of a PDF, JPEG, PNG or TIFF scan",
                document.filename,
                document.media_type.as_str()
            )));
        }
        let scan = self.read_all(&document.sha256).await?;
        // An image is decoded and made a PDF once, under the work gate (its decoded pixels may
        // take hundreds of MiB); a PDF scan passes the structure check the same way.
        let pdf = match document.media_type {
            MediaType::Pdf => {
                let checked = self
                    .dossiers
                    .work_gate()
                    .run_costed(
                        scan,
                        |b| crate::pdf::read::working_set(b),
                        |b| crate::pdf::check_structure(&b).map(|()| b),
                    )
                    .await?;
                checked.map_err(|e| ResultError::Invalid(format!("the scan: {e}")))?
            }
            _ => self
                .dossiers
                .work_gate()
                .run_costed(
                    scan,
                    |b| crate::pdf::image::working_set(b),
                    |b| crate::pdf::image::images_to_pdf(&[&b]),
                )
                .await?
                .map_err(|e| ResultError::Invalid(format!("the scan: {e}")))?,
        };
        let pdf = Arc::new(pdf);
        let make = move |issuer: &Issuer, _code: &str, issued_at: time::OffsetDateTime| {
            let stamp =
                Appearance::certified_copy(&issuer.agency, issued_at, &issuer.time_pattern)?;
            issuer.sign(open_incremental(&pdf)?, &stamp, issued_at, "SaoY")
        };
        let title = format!("SAO Y: {}", document.filename);
        self.record(
            principal,
            &issuer,
            &dossier,
            Recording {
                kind: "certified_copy",
                title,
                completes: None,
            },
            make,
        )
        .await
    }

    /// Makes the PDF (off the async workers: rendering and signing are CPU work, and B-T asks a
    /// TSA), stores it, and records the result and its log entry in one transaction. Two
    /// officers issuing at once get consecutive numbers: the unique (dossier, number) refuses
    /// the second insert, which makes its PDF again with the next number.
    async fn record<F>(
        &self,
        principal: &Principal,
        issuer: &Arc<Issuer>,
        dossier: &crate::dossier::Dossier,
        what: Recording<'_>,
        make: F,
    ) -> Result<IssuedResult, ResultError>
    where
        F: Fn(&Issuer, &str, time::OffsetDateTime) -> Result<Vec<u8>, ResultError>
            + Send
            + Sync
            + 'static,
    {
        let signer = issuer.identity.subject();
        let make = Arc::new(make);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let seq = self.db.next_result_seq(&dossier.id).await?;
            let code = format!("{}-KQ{seq}", dossier.code.as_str());
            let now = Timestamp::now();
            let issued_at = now
                .as_offset_date_time()
                .to_offset(crate::timestamp::VIETNAM);
            let (task_issuer, task_make, task_code) = (issuer.clone(), make.clone(), code.clone());
            let pdf =
                tokio::task::spawn_blocking(move || task_make(&task_issuer, &task_code, issued_at))
                    .await
                    .map_err(|e| ResultError::Invalid(format!("signing task failed: {e}")))??;
            let object = self.store.put_bytes(bytes::Bytes::from(pdf)).await?;
            let sha = object.sha256.to_hex();
            let now_text = now.to_string();
            let id = uuid::Uuid::new_v4().to_string();
            let mut tx = self.db.begin().await?;
            let draft = EntryDraft::new(EntryKind::ResultIssued)
                .text("result", id.clone())
                .text("dossier", dossier.id.clone())
                .text("code", code.clone())
                .text("sha256", sha.clone())
                .number("size", object.size);
            let appended = ledger::append(&mut tx, &now, &[draft]).await?;
            tx.insert_object(&sha, object.size as i64, &now_text)
                .await?;
            let row = ResultRow {
                id,
                code,
                dossier_id: dossier.id.clone(),
                seq,
                kind: what.kind.to_owned(),
                title: what.title.clone(),
                sha256: sha,
                size: object.size as i64,
                agency: issuer.agency.clone(),
                signer: signer.clone(),
                level: issuer.level.as_str().to_owned(),
                issued_by: principal.token_id.clone(),
                issued_at: now_text,
                ledger_index: appended[0].index as i64,
            };
            match tx.insert_result(&row).await {
                Ok(()) => {}
                Err(e) if e.is_unique_violation() && attempts < 8 => continue,
                Err(e) => return Err(e.into()),
            }
            // A result (not a certified copy) completes its part, and with the last part the
            // dossier.
            if let Some(part) = &what.completes {
                self.dossiers
                    .after_result(&mut tx, dossier, part.as_deref(), &row.id, &now)
                    .await?;
            }
            tx.commit().await?;
            self.dossiers.protect(&row.dossier_id).await;
            tracing::info!(result = %row.id, code = %row.code, dossier = %row.dossier_id,
                kind = what.kind, demo_identity = issuer.demo, "result issued");
            return self.shown(row, None);
        }
    }

    /// A result, if the caller may see its dossier (applicants see their own; archivists' reads
    /// are logged).
    pub async fn get(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<IssuedResult, ResultError> {
        if !plausible_code(code) {
            return Err(ResultError::NotFound);
        }
        let row = self
            .db
            .result_by_code(code)
            .await?
            .ok_or(ResultError::NotFound)?;
        self.dossiers
            .get(principal, &row.dossier_id)
            .await
            .map_err(|e| match e {
                DossierError::NotFound => ResultError::NotFound,
                e => e.into(),
            })?;
        self.load(row).await
    }

    /// A dossier's results, if the caller may see the dossier.
    pub async fn list(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<Vec<IssuedResult>, ResultError> {
        let dossier = self.dossiers.get(principal, dossier_id).await?;
        let mut out = Vec::new();
        for row in self.db.results_of(&dossier.id).await? {
            out.push(self.load(row).await?);
        }
        Ok(out)
    }

    /// The signed PDF's bytes.
    pub async fn pdf(&self, result: &IssuedResult) -> Result<ByteStream, ResultError> {
        self.dossiers.refuse_disposed(&result.dossier_id).await?;
        Ok(self.store.get(&result.sha256, None).await?)
    }

    /// Revokes a result: a logged event; the PDF stays as it was. By whoever may issue it
    /// ([`Act::RevokeResult`]): the agency of the part it completed (or the lead agency, for
    /// one that completed no part) and the one-stop counter.
    pub async fn revoke(
        &self,
        principal: &Principal,
        code: &str,
        reason: &str,
    ) -> Result<IssuedResult, ResultError> {
        // Not found before anything else: the reply never hints at a result the caller may not
        // see.
        if !plausible_code(code) {
            return Err(ResultError::NotFound);
        }
        let row = self
            .db
            .result_by_code(code)
            .await?
            .ok_or(ResultError::NotFound)?;
        let part = self
            .db
            .parts_of(&row.dossier_id)
            .await?
            .into_iter()
            .find(|p| p.result_id.as_deref() == Some(row.id.as_str()))
            .map(|p| p.procedure_code);
        self.dossiers
            .may_act(
                principal,
                &row.dossier_id,
                Act::RevokeResult(part.as_deref()),
            )
            .await
            .map_err(|e| match e {
                DossierError::NotFound => ResultError::NotFound,
                e => e.into(),
            })?;
        let result = self.get(principal, code).await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(ResultError::Invalid(
                "a revocation needs a reason (1 to 2000 characters)".into(),
            ));
        }
        if result.revocation.is_some() {
            return Err(ResultError::AlreadyRevoked(result.code));
        }
        let now = Timestamp::now();
        let mut tx = self.db.begin().await?;
        if tx.result_is_revoked(&result.id).await? {
            return Err(ResultError::AlreadyRevoked(result.code));
        }
        // The log holds ids and digests only: the reason is kept in the database, its hash here.
        let draft = EntryDraft::new(EntryKind::ResultRevoked)
            .text("result", result.id.clone())
            .text("code", result.code.clone())
            .text(
                "reason_sha256",
                Sha256Digest::of(reason.as_bytes()).to_hex(),
            );
        let appended = ledger::append(&mut tx, &now, &[draft]).await?;
        let row = RevocationRow {
            result_id: result.id.clone(),
            reason: reason.to_owned(),
            revoked_by: principal.token_id.clone(),
            revoked_at: now.to_string(),
            ledger_index: appended[0].index as i64,
        };
        if !tx.insert_revocation(&row).await? {
            return Err(ResultError::AlreadyRevoked(result.code));
        }
        tx.commit().await?;
        tracing::info!(result = %result.id, code = %result.code, "result revoked");
        self.get(principal, code).await
    }

    /// What the public verification page shows: the result with that code (no personal data
    /// beyond what the document itself prints), and motcua's verification of the stored PDF.
    pub async fn public_status(
        &self,
        code: &str,
    ) -> Result<(IssuedResult, crate::signature::Report), ResultError> {
        if !plausible_code(code) {
            return Err(ResultError::NotFound);
        }
        let row = self
            .db
            .result_by_code(code)
            .await?
            .ok_or(ResultError::NotFound)?;
        let result = self.load(row).await?;
        let bytes = self.read_all(&result.sha256).await?;
        let report = self.verify_bytes(bytes).await?;
        Ok((result, report))
    }

    /// Checks an uploaded PDF: its signatures against the agency trust store, and whether its
    /// bytes are those of a result issued here.
    pub async fn check_upload(&self, bytes: Vec<u8>) -> Result<UploadVerdict, ResultError> {
        let sha256 = Sha256Digest::of(&bytes);
        let mut matches = Vec::new();
        for row in self.db.results_by_sha256(&sha256.to_hex()).await? {
            matches.push(self.load(row).await?);
        }
        let report = self.verify_bytes(bytes).await?;
        Ok(UploadVerdict {
            sha256,
            matches,
            report,
        })
    }

    async fn verify_bytes(&self, bytes: Vec<u8>) -> Result<crate::signature::Report, ResultError> {
        let report = crate::signature::verify_gated(
            self.dossiers.work_gate(),
            bytes,
            None,
            self.verify.clone(),
        )
        .await?;
        Ok(report.unwrap_or_else(|e| crate::signature::Report::unreadable("PAdES", e.to_string())))
    }

    async fn read_all(&self, sha: &Sha256Digest) -> Result<Vec<u8>, ResultError> {
        use futures_util::StreamExt as _;
        let mut stream = self.store.get(sha, None).await?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.map_err(|e| StorageError::Io {
                context: "reading a result".into(),
                source: e,
            })?);
        }
        Ok(out)
    }
}

/// Whether a verification says "genuine".
pub fn is_genuine(result: &IssuedResult, report: &crate::signature::Report) -> bool {
    result.revocation.is_none() && report.indication == Indication::TotalPassed
}

/// Renders and signs one result, as issuing does (blocking; CPU, and the TSA for B-T).
pub fn render_and_sign(issuer: &Issuer, document: &ResultDocument) -> Result<Vec<u8>, ResultError> {
    let rendered = render::render_parsed(document)?;
    let mut block = Appearance::signed_by(
        &issuer.agency,
        document.issued_at,
        &issuer.time_pattern,
        Placement::Rect(render::signature_area()),
    )?;
    block.image = issuer.seal.clone();
    block.fonts = rendered.fonts;
    // Signed as an update of the document just written: nothing to parse again.
    let pdf = lopdf::IncrementalDocument::create_from(rendered.bytes, rendered.document);
    issuer.sign(pdf, &block, document.issued_at, "KetQua")
}
