//! Intake (tiếp nhận): parse the declared dossier, stream each file into the object store while
//! recognising what it is, then record everything in one transaction.
//!
//! Invariants: a file's bytes are durable in the store before any row refers to them; a dossier
//! and all its documents are committed together or not at all; a refused or failed intake leaves
//! no row (objects it stored are orphans the sweep removes).

use std::collections::VecDeque;
use std::error::Error as StdError;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use serde::Deserialize;

use crate::auth::Principal;
use crate::content::{self, MediaType, PdfProblem};
use crate::db::DbError;
use crate::storage::{StorageError, StoredObject};

use super::access::{SubmitRefusal, check_can_submit};
use super::catalogue::{Catalogue, Procedure};
use crate::vocabulary::{
    Applicant, ApplicantKind, IdNumber, InvalidField, TaxCode, UnitCode, UnitLevel,
};

/// Size and count budgets for one intake.
#[derive(Debug, Clone, Copy)]
pub struct IntakeLimits {
    /// Largest accepted file, in bytes (default 100 MiB).
    pub max_file_size: u64,
    /// Largest accepted request (all files together), in bytes.
    pub max_request_size: u64,
    /// Most files in one dossier.
    pub max_files: usize,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_file_size: 100 * 1024 * 1024,
            max_request_size: 1024 * 1024 * 1024,
            max_files: 100,
        }
    }
}

/// Why an intake was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// The `dossier` part is not the JSON object we expect.
    #[error("the dossier part is not valid: {0}")]
    InvalidDossier(String),
    /// A field's value breaks its rule.
    #[error("invalid field {0}")]
    InvalidField(#[from] InvalidField),
    /// No such procedure in the catalogue.
    #[error("unknown procedure {0:?}")]
    UnknownProcedure(String),
    /// The declaration names a unit that does not exist.
    #[error("unit {0:?}: no unit has this code")]
    UnknownUnit(String),
    /// The deployment has several units and the declaration names none.
    #[error("this deployment has several units: name the receiving one (\"unit\": \"CODE\")")]
    UnitRequired,
    /// The unit does not receive this procedure (the catalogue's `received_at`).
    #[error(
        "procedure {procedure} is not received at a {level} (unit {unit}); it is received at: {received_at}"
    )]
    ProcedureNotReceivedHere {
        /// The procedure.
        procedure: String,
        /// The unit.
        unit: String,
        /// Its level.
        level: UnitLevel,
        /// The levels that receive it.
        received_at: String,
    },
    /// This kind of applicant cannot file under this procedure.
    #[error("procedure {procedure} does not accept a {kind} applicant")]
    ApplicantNotEligible {
        /// The procedure.
        procedure: String,
        /// `business` or `citizen`.
        kind: &'static str,
    },
    /// The caller may not file this dossier.
    #[error("{0}")]
    Refused(#[from] SubmitRefusal),
    /// A file part came without a file name.
    #[error("every file part needs a filename")]
    MissingFilename,
    /// The claimed type is not one we accept.
    #[error("{filename}: {claim}")]
    UnsupportedClaim {
        /// The file.
        filename: String,
        /// What was wrong with the claim.
        claim: content::UnsupportedClaim,
    },
    /// The content is none of the accepted types.
    #[error("{filename}: the content is not a PDF, JPEG, PNG, TIFF or CMS/PKCS#7 signature")]
    UnrecognisedContent {
        /// The file.
        filename: String,
    },
    /// The content is one type, the client said another.
    #[error("{filename}: labelled {claimed} but the content is {detected}")]
    Mislabelled {
        /// The file.
        filename: String,
        /// What the client's content type or file extension said.
        claimed: MediaType,
        /// What the bytes are.
        detected: MediaType,
    },
    /// It starts like a PDF but is not one.
    #[error("{filename}: {problem}")]
    InvalidPdf {
        /// The file.
        filename: String,
        /// What is wrong.
        problem: PdfProblem,
    },
    /// A file with no bytes.
    #[error("{filename}: the file is empty")]
    EmptyFile {
        /// The file.
        filename: String,
    },
    /// One file is over the per-file limit.
    #[error("{filename}: larger than the limit of {limit} bytes per file")]
    FileTooLarge {
        /// The file.
        filename: String,
        /// The limit.
        limit: u64,
    },
    /// All files together are over the per-request limit.
    #[error("the files together are larger than the limit of {limit} bytes per dossier")]
    RequestTooLarge {
        /// The limit.
        limit: u64,
    },
    /// Too many files.
    #[error("a dossier holds at most {limit} files")]
    TooManyFiles {
        /// The limit.
        limit: usize,
    },
    /// The dossier has no file.
    #[error("a dossier needs at least one part named \"file\"")]
    NoFiles,
    /// Reading the request body failed (the client went away, or the body is malformed).
    #[error("reading the upload: {0}")]
    Body(Box<dyn StdError + Send + Sync>),
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Appending to the integrity log failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// The node could not take on the work of reading a document now (busy), or ever (too
    /// large to read within its memory).
    #[error(transparent)]
    Gate(#[from] crate::gate::GateError),
    /// Recording the dossier failed for a reason that is motcua's, not the client's.
    #[error("recording the dossier: {0}")]
    Internal(String),
}

impl From<super::DossierError> for IntakeError {
    fn from(e: super::DossierError) -> Self {
        use super::DossierError as D;
        match e {
            D::Db(e) => Self::Db(e),
            D::Storage(e) => Self::Storage(e),
            D::Ledger(e) => Self::Ledger(e),
            D::Gate(e) => Self::Gate(e),
            other => Self::Internal(other.to_string()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftJson {
    procedure: String,
    applicant: ApplicantJson,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    contact: Option<ContactJson>,
    #[serde(default)]
    data: Option<serde_json::Map<String, serde_json::Value>>,
    /// Linked procedures filed together with `procedure` (liên thông).
    #[serde(default)]
    linked: Vec<String>,
    /// The receiving unit's code (needed when the deployment has several units).
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicantJson {
    #[serde(default)]
    tax_code: Option<String>,
    #[serde(default)]
    id_number: Option<String>,
    name: String,
}

#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct ContactJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

/// Declared data beyond the applicant is kept as JSON, within this budget.
const MAX_DETAILS_BYTES: usize = 64 * 1024;
/// Longest name, title or file name we keep, in characters.
const MAX_TEXT_CHARS: usize = 255;

/// A dossier being received: the declaration is checked, files are being stored.
#[derive(Debug)]
pub struct PendingDossier {
    /// The receiving unit: as declared until `begin_intake` settles it.
    pub(super) unit: Option<UnitCode>,
    pub(super) procedure: Procedure,
    /// Linked procedures filed with it (liên thông), each a part of the dossier.
    pub(super) linked: Vec<Procedure>,
    /// The unit that processes each linked part, in `linked`'s order (settled by
    /// `begin_intake`).
    pub(super) linked_units: Vec<UnitCode>,
    pub(super) applicant: Applicant,
    pub(super) details: serde_json::Value,
    pub(super) files: Vec<ReceivedFile>,
    pub(super) total_size: u64,
}

impl PendingDossier {
    /// The files stored so far.
    pub fn files(&self) -> &[ReceivedFile] {
        &self.files
    }
}

/// Files being received for a dossier already recorded (scans of paper originals at the
/// counter), with the same streaming, recognition and budgets as a submission.
#[derive(Debug, Default)]
pub struct PendingFiles {
    pub(super) files: Vec<ReceivedFile>,
    pub(super) total_size: u64,
}

impl PendingFiles {
    /// The files stored so far.
    pub fn files(&self) -> &[ReceivedFile] {
        &self.files
    }
}

/// Where [`receive_file`] puts what it stored.
pub trait FileSink {
    /// Files so far.
    fn count(&self) -> usize;
    /// Their bytes so far.
    fn total_size(&self) -> u64;
    /// Adds one.
    fn add(&mut self, file: ReceivedFile);
}

impl FileSink for PendingDossier {
    fn count(&self) -> usize {
        self.files.len()
    }
    fn total_size(&self) -> u64 {
        self.total_size
    }
    fn add(&mut self, file: ReceivedFile) {
        self.total_size += file.object.size;
        self.files.push(file);
    }
}

impl FileSink for PendingFiles {
    fn count(&self) -> usize {
        self.files.len()
    }
    fn total_size(&self) -> u64 {
        self.total_size
    }
    fn add(&mut self, file: ReceivedFile) {
        self.total_size += file.object.size;
        self.files.push(file);
    }
}

/// A file that is stored and recognised, not yet recorded.
#[derive(Debug, Clone)]
pub struct ReceivedFile {
    /// The client's file name (base name only).
    pub filename: String,
    /// What the bytes are.
    pub media_type: MediaType,
    /// Where they are.
    pub object: StoredObject,
}

fn text_field(field: &'static str, value: &str) -> Result<String, InvalidField> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if v.chars().count() > MAX_TEXT_CHARS || v.chars().any(char::is_control) {
        return Err(InvalidField::new(
            field,
            format!("at most {MAX_TEXT_CHARS} characters, no control characters"),
        ));
    }
    Ok(v.to_owned())
}

/// Parses and checks the `dossier` part, and whether `principal` may file it.
pub fn parse_declaration(
    catalogue: &Catalogue,
    principal: &Principal,
    json: &[u8],
) -> Result<PendingDossier, IntakeError> {
    let draft: DraftJson =
        serde_json::from_slice(json).map_err(|e| IntakeError::InvalidDossier(e.to_string()))?;
    let procedure = catalogue
        .get(draft.procedure.trim())
        .ok_or_else(|| IntakeError::UnknownProcedure(draft.procedure.clone()))?
        .clone();
    let name = text_field("applicant.name", &draft.applicant.name)?;
    let applicant = match (&draft.applicant.tax_code, &draft.applicant.id_number) {
        (Some(t), None) => Applicant::Business {
            tax_code: TaxCode::parse(t)
                .map_err(|e| InvalidField::new("applicant.tax_code", e.rule))?,
            name,
        },
        (None, Some(n)) => Applicant::Citizen {
            id_number: IdNumber::parse(n)
                .map_err(|e| InvalidField::new("applicant.id_number", e.rule))?,
            name,
        },
        _ => {
            return Err(InvalidField::new(
                "applicant",
                "give exactly one of tax_code (a business) or id_number (a citizen)",
            )
            .into());
        }
    };
    if !procedure.applicants.contains(&applicant.kind()) {
        return Err(IntakeError::ApplicantNotEligible {
            procedure: procedure.code.clone(),
            kind: applicant.kind().as_str(),
        });
    }
    check_can_submit(principal, &applicant)?;
    // Interlinked procedures: each one the main procedure links to, once, open to this applicant.
    let mut linked: Vec<Procedure> = Vec::new();
    for code in &draft.linked {
        let code = code.trim();
        if !procedure.linked.iter().any(|l| l == code) {
            return Err(InvalidField::new(
                "linked",
                format!(
                    "{code:?} is not linked to {} (linked: {})",
                    procedure.code,
                    procedure.linked.join(", ")
                ),
            )
            .into());
        }
        if linked.iter().any(|p| p.code == code) {
            return Err(InvalidField::new("linked", format!("{code:?} is listed twice")).into());
        }
        let other = catalogue
            .get(code)
            .ok_or_else(|| IntakeError::UnknownProcedure(code.to_owned()))?;
        if !other.applicants.contains(&applicant.kind()) {
            return Err(IntakeError::ApplicantNotEligible {
                procedure: other.code.clone(),
                kind: applicant.kind().as_str(),
            });
        }
        linked.push(other.clone());
    }
    let mut details = serde_json::Map::new();
    if let Some(title) = &draft.title {
        details.insert("title".into(), text_field("title", title)?.into());
    }
    if let Some(contact) = draft.contact {
        details.insert(
            "contact".into(),
            serde_json::to_value(contact)
                .map_err(|e| IntakeError::InvalidDossier(e.to_string()))?,
        );
    }
    if let Some(data) = draft.data {
        details.insert("data".into(), serde_json::Value::Object(data));
    }
    let details = serde_json::Value::Object(details);
    if details.to_string().len() > MAX_DETAILS_BYTES {
        return Err(InvalidField::new(
            "data",
            format!("at most {MAX_DETAILS_BYTES} bytes of JSON"),
        )
        .into());
    }
    let unit = draft
        .unit
        .as_deref()
        .map(|u| UnitCode::parse(u.trim()).map_err(|e| InvalidField::new("unit", e.rule)))
        .transpose()?;
    Ok(PendingDossier {
        unit,
        procedure,
        linked,
        linked_units: Vec::new(),
        applicant,
        details,
        files: Vec::new(),
        total_size: 0,
    })
}

/// The base name of a client's file name, checked.
fn clean_filename(raw: Option<&str>) -> Result<String, IntakeError> {
    let raw = raw.ok_or(IntakeError::MissingFilename)?;
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    if base.trim().is_empty() {
        return Err(IntakeError::MissingFilename);
    }
    Ok(text_field("filename", base)?)
}

/// Keeps the last `cap` bytes of a stream.
struct Tail {
    buf: VecDeque<u8>,
    cap: usize,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        let keep = &chunk[chunk.len().saturating_sub(self.cap)..];
        let overflow = (self.buf.len() + keep.len()).saturating_sub(self.cap);
        self.buf.drain(..overflow);
        self.buf.extend(keep);
    }
}

/// Streams one file into the store, recognising it on the way. On any refusal the partial upload
/// is removed and nothing is added to `pending`.
pub async fn receive_file<S, E>(
    store: &crate::storage::ObjectStore,
    limits: &IntakeLimits,
    gate: &crate::gate::WorkGate,
    pending: &mut impl FileSink,
    filename: Option<&str>,
    content_type: Option<&str>,
    mut body: S,
) -> Result<(), IntakeError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: StdError + Send + Sync + 'static,
{
    if pending.count() >= limits.max_files {
        return Err(IntakeError::TooManyFiles {
            limit: limits.max_files,
        });
    }
    let filename = clean_filename(filename)?;
    let claimed = MediaType::from_claim(content_type.unwrap_or("")).map_err(|claim| {
        IntakeError::UnsupportedClaim {
            filename: filename.clone(),
            claim,
        }
    })?;
    let by_extension = MediaType::from_extension(&filename);

    let mut upload = store.begin_upload().await?;
    let mut head: Vec<u8> = Vec::with_capacity(content::HEAD_LEN);
    let mut detected: Option<MediaType> = None;
    let mut whole: Option<Vec<u8>> = Some(Vec::new());
    let mut tail = Tail {
        buf: VecDeque::with_capacity(content::TAIL_LEN),
        cap: content::TAIL_LEN,
    };

    let outcome: Result<(), IntakeError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| IntakeError::Body(Box::new(e)))?;
            let size = upload.size() + chunk.len() as u64;
            if size > limits.max_file_size {
                return Err(IntakeError::FileTooLarge {
                    filename: filename.clone(),
                    limit: limits.max_file_size,
                });
            }
            if pending.total_size() + size > limits.max_request_size {
                return Err(IntakeError::RequestTooLarge {
                    limit: limits.max_request_size,
                });
            }
            if detected.is_none() {
                let room = content::HEAD_LEN - head.len();
                head.extend_from_slice(&chunk[..room.min(chunk.len())]);
                if head.len() == content::HEAD_LEN {
                    detected = Some(recognise(&head, &filename, claimed, by_extension)?);
                }
            }
            if let Some(w) = &mut whole {
                if w.len() + chunk.len() <= content::FULL_PARSE_LIMIT
                    && detected.is_none_or(|d| d == MediaType::Pdf)
                {
                    w.extend_from_slice(&chunk);
                } else {
                    whole = None;
                }
            }
            tail.push(&chunk);
            upload.write(chunk).await?;
        }
        let media_type = match detected {
            Some(d) => d,
            None if head.is_empty() => {
                return Err(IntakeError::EmptyFile {
                    filename: filename.clone(),
                });
            }
            None => recognise(&head, &filename, claimed, by_extension)?,
        };
        detected = Some(media_type);
        if media_type == MediaType::Pdf {
            let tail: Vec<u8> = tail.buf.iter().copied().collect();
            content::check_pdf_tail(&tail, upload.size()).map_err(|problem| {
                IntakeError::InvalidPdf {
                    filename: filename.clone(),
                    problem,
                }
            })?;
        }
        Ok(())
    }
    .await;

    if let Err(e) = outcome {
        upload.abort().await;
        return Err(e);
    }
    let object = upload.finish().await?;
    if detected == Some(MediaType::Pdf) {
        // The whole PDF passes the one structure check (the one verification and signing
        // apply), read back from the store unless it was small enough to keep: durable first,
        // so a refused file is an orphan the sweep removes, never a half-written one.
        let bytes = match whole.take() {
            Some(bytes) => bytes,
            None => read_back(store, &object, &filename).await?,
        };
        let checked = gate
            .run_costed(
                bytes,
                |b| crate::pdf::read::working_set(b),
                |b| content::parse_pdf(&b),
            )
            .await?;
        checked.map_err(|problem| IntakeError::InvalidPdf {
            filename: filename.clone(),
            problem,
        })?;
    }
    pending.add(ReceivedFile {
        filename,
        media_type: detected.unwrap_or(MediaType::Pdf),
        object,
    });
    Ok(())
}

/// A stored PDF read back whole, for the structure check; one beyond what the parser reads at
/// all is refused.
async fn read_back(
    store: &crate::storage::ObjectStore,
    object: &StoredObject,
    filename: &str,
) -> Result<Vec<u8>, IntakeError> {
    if object.size > crate::pdf::MAX_PDF_BYTES as u64 {
        return Err(IntakeError::FileTooLarge {
            filename: filename.to_owned(),
            limit: crate::pdf::MAX_PDF_BYTES as u64,
        });
    }
    let mut stream = store.get(&object.sha256, None).await?;
    let mut bytes = Vec::with_capacity(object.size as usize);
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(|e| {
            IntakeError::Storage(StorageError::Io {
                context: "reading a PDF back".into(),
                source: e,
            })
        })?);
    }
    Ok(bytes)
}

/// Decides the type from the head, and refuses content that is none of ours or that the client
/// labelled as something else (by content type or by file extension).
fn recognise(
    head: &[u8],
    filename: &str,
    claimed: Option<MediaType>,
    by_extension: Option<MediaType>,
) -> Result<MediaType, IntakeError> {
    let detected = content::detect(head).ok_or_else(|| IntakeError::UnrecognisedContent {
        filename: filename.to_owned(),
    })?;
    for claim in [claimed, by_extension].into_iter().flatten() {
        if claim != detected {
            return Err(IntakeError::Mislabelled {
                filename: filename.to_owned(),
                claimed: claim,
                detected,
            });
        }
    }
    Ok(detected)
}

impl ApplicantKind {
    /// Looks up a stored kind.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "business" => Some(Self::Business),
            "citizen" => Some(Self::Citizen),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn officer() -> Principal {
        Principal {
            token_id: "t".into(),
            role: Role::Officer,
            tax_code: None,
            id_number: None,
            agency: None,
            name: None,
            branches: false,
            unit: None,
        }
    }

    #[test]
    fn a_declaration_needs_exactly_one_identifier() {
        let c = Catalogue::builtin();
        let both = br#"{"procedure":"business-registration","applicant":{"tax_code":"0101234565","id_number":"001203004567","name":"X"}}"#;
        assert!(matches!(
            parse_declaration(&c, &officer(), both),
            Err(IntakeError::InvalidField(f)) if f.field == "applicant"
        ));
        let ok = br#"{"procedure":"business-registration","applicant":{"tax_code":"0101234565","name":"Cong ty A"}}"#;
        assert!(parse_declaration(&c, &officer(), ok).is_ok());
    }

    #[test]
    fn unknown_procedures_and_ineligible_applicants_are_refused() {
        let c = Catalogue::builtin();
        let unknown =
            br#"{"procedure":"moon-landing","applicant":{"tax_code":"0101234565","name":"A"}}"#;
        assert!(matches!(
            parse_declaration(&c, &officer(), unknown),
            Err(IntakeError::UnknownProcedure(_))
        ));
        let business_birth = br#"{"procedure":"birth-registration","applicant":{"tax_code":"0101234565","name":"A"}}"#;
        assert!(matches!(
            parse_declaration(&c, &officer(), business_birth),
            Err(IntakeError::ApplicantNotEligible { .. })
        ));
    }

    #[test]
    fn unknown_fields_are_refused_not_ignored() {
        let c = Catalogue::builtin();
        let typo = br#"{"procedure":"business-registration","aplicant":{}}"#;
        assert!(matches!(
            parse_declaration(&c, &officer(), typo),
            Err(IntakeError::InvalidDossier(m)) if m.contains("aplicant")
        ));
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(
            clean_filename(Some("C:\\Users\\a\\scan.pdf")).unwrap(),
            "scan.pdf"
        );
        assert_eq!(clean_filename(Some("../../etc/passwd")).unwrap(), "passwd");
        assert!(clean_filename(Some("dir/")).is_err());
        assert!(clean_filename(None).is_err());
    }

    #[test]
    fn the_tail_keeps_the_last_bytes() {
        let mut t = Tail {
            buf: VecDeque::new(),
            cap: 4,
        };
        t.push(b"abc");
        t.push(b"defg");
        t.push(b"h");
        assert_eq!(t.buf.iter().copied().collect::<Vec<_>>(), b"efgh");
    }
}
