//! The dossier's model, the floor of the `dossier` domain: the dossier and its documents as read
//! back, the domain's one error type, listing parameters and pages, and the mapping from stored
//! rows. Every other file of `dossier/` imports it; it imports none of them.

use crate::content::MediaType;
use crate::db::{DbError, DocumentRow, DossierRow, SignatureReportRow};
use crate::storage::{Sha256Digest, StorageError};
use crate::timestamp::Timestamp;
use crate::vocabulary::{Applicant, DossierCode, DossierStatus, IdNumber, TaxCode};

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
    pub history: Vec<Transition>,
    /// When it is due (working days from receipt, paused while waiting for the applicant);
    /// `None` while it waits, or for a dossier never received.
    pub due_on: Option<time::Date>,
    /// The day it closed (rejected, or its result issued), in Vietnam; `None` while open.
    pub closed_on: Option<time::Date>,
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
    /// The unit that processes it (none: where the dossier was received).
    pub unit: Option<String>,
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

pub(super) fn summary_from_row(r: SignatureReportRow) -> SignatureSummary {
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

/// The dossier domain only reads the units: a failure is the database's, or stored units that no
/// longer parse.
impl From<crate::unit::UnitError> for DossierError {
    fn from(e: crate::unit::UnitError) -> Self {
        match e {
            crate::unit::UnitError::Db(d) => Self::Db(d),
            other => Self::Corrupt(other.to_string()),
        }
    }
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
    /// Only applicants whose name contains this text.
    pub name: Option<String>,
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

impl Dossier {
    /// Whether it is past its due date on `today` and still open (not rejected, issued or
    /// returned).
    pub fn is_overdue(&self, today: time::Date) -> bool {
        use DossierStatus as S;
        !matches!(self.status, S::Rejected | S::ResultIssued | S::Returned)
            && self.due_on.is_some_and(|due| today > due)
    }
}

pub(super) fn corrupt(what: &str, value: &str) -> DossierError {
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
            .map(|d| parse_day("due date", d))
            .transpose()?,
        closed_on: row
            .closed_on
            .as_deref()
            .map(|d| parse_day("closing date", d))
            .transpose()?,
    })
}

fn parse_day(what: &str, text: &str) -> Result<time::Date, DossierError> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| corrupt(what, text))
}

pub(super) fn part_from_row(row: crate::db::PartRow) -> Part {
    Part {
        done: row.status == "done",
        procedure: row.procedure_code,
        agency: row.agency,
        result_id: row.result_id,
        unit: row.unit_code,
    }
}

pub(super) fn document_from_row(row: DocumentRow) -> Result<Document, DossierError> {
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

/// One recorded move.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The dossier's version after the move.
    pub version: i64,
    /// Status before.
    pub from: DossierStatus,
    /// Status after.
    pub to: DossierStatus,
    /// Who made it.
    pub actor: Actor,
    /// The token that made it (none for the system).
    pub actor_token: Option<String>,
    /// Why, when given.
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
    /// Index of its `dossier_transition` log entry.
    pub ledger_index: u64,
}

/// The decision on paper originals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originals {
    /// Whether they are waived.
    pub waived: bool,
    /// Why they are required (None when waived).
    pub reason: Option<String>,
}

impl Originals {
    /// `waived` or `required`.
    pub fn as_str(&self) -> &'static str {
        if self.waived { "waived" } else { "required" }
    }
}

/// What to do with a scan below the quality rule: `reject` or `warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum ScanQuality {
    /// Refuse it (422 `scan_quality`), nothing recorded.
    #[default]
    Reject,
    /// Record it, and say what is wrong.
    Warn,
}

impl std::str::FromStr for ScanQuality {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reject" => Ok(Self::Reject),
            "warn" => Ok(Self::Warn),
            other => Err(format!("{other:?}: use reject or warn")),
        }
    }
}

impl TryFrom<String> for ScanQuality {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A staff member's read of a dossier, as its applicant sees it: who, at which unit, when, what.
/// Reads by the same person of the same thing within ten minutes count once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRead {
    /// When (the first read of its ten minutes).
    pub at: String,
    /// The reader's display name.
    pub name: Option<String>,
    /// Their role.
    pub role: String,
    /// Their unit.
    pub unit: Option<String>,
    /// Their agency.
    pub agency: Option<String>,
    /// `dossier` or `document:<id>`.
    pub what: String,
}
