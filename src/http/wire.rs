//! JSON wire types: what the API sends, with their OpenAPI schemas. Built from domain values,
//! never the other way round.

use serde::Serialize;
use utoipa::ToSchema;

use crate::dossier::{Applicant, Document, Dossier, Procedure};

/// A dossier.
#[derive(Serialize, ToSchema)]
pub struct DossierJson {
    /// Dossier id (UUID).
    pub id: String,
    /// Dossier code (mã hồ sơ): `<unit>-<YYMMDD>-<sequence>`.
    #[schema(example = "DEMO-261127-0001")]
    pub code: String,
    /// The unit that received it (`/api/v1/units/{code}`): the first part of its code.
    #[schema(example = "DEMO")]
    pub unit: String,
    /// Lifecycle status (Decree 45/2020/ND-CP): SUBMITTED, RECEIVED, ACCEPTED,
    /// SUPPLEMENT_REQUESTED, REJECTED, ORIGINALS_WAIVED, AWAITING_ORIGINALS, ORIGINALS_VERIFIED,
    /// ORIGINALS_MISMATCH, PROCESSING, RESULT_ISSUED, RETURNED.
    #[schema(example = "RECEIVED")]
    pub status: &'static str,
    /// Bumped by every move: send it with a move to be refused (409 `stale_version`) if
    /// someone moved the dossier first.
    pub version: i64,
    /// The official receipt time (RFC 3339, UTC): when the system received it after the
    /// technical checks at intake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    /// When it is due (YYYY-MM-DD, Vietnam time): the procedure's processing time in working
    /// days from receipt, extended while it waited for the applicant. Absent while it waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Whether it is past its due date and still open (not rejected, issued or returned).
    pub overdue: bool,
    /// The moves the caller may make now (omitted in listings): none for an archivist, an
    /// administrator, or the agency of a linked procedure (the lead agency and the one-stop
    /// counter move an interlinked dossier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_moves: Option<Vec<&'static str>>,
    /// Its moves, oldest first (omitted in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<TransitionJson>>,
    /// Interlinked procedures (liên thông): one part per procedure, each handled by its own
    /// agency and done by its result (omitted for a dossier of one procedure, and in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<PartJson>>,
    /// Procedure code from the catalogue.
    #[schema(example = "business-registration")]
    pub procedure: String,
    /// Who the dossier is for.
    pub applicant: ApplicantJson,
    /// Declared title, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Declared contact details and form data, as submitted.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// When it was filed (RFC 3339, UTC).
    pub submitted_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Its documents in submission order (omitted in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<DocumentJson>>,
    /// `waived` when a valid signature by the applicant covers the dossier, else `required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originals: Option<&'static str>,
    /// Why paper originals are required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originals_reason: Option<String>,
    /// The verified signature files (omitted in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<SignatureJson>>,
}

/// One procedure of an interlinked dossier.
#[derive(Serialize, ToSchema)]
pub struct PartJson {
    /// The procedure.
    pub procedure: String,
    /// The agency that handles it.
    pub agency: String,
    /// Whether its result has been issued.
    pub done: bool,
    /// The unit that processes it: where the dossier was received, or the unit above whose
    /// level the catalogue gives the procedure (a ward receives, the district processes).
    pub unit: String,
}

/// One move of a dossier.
#[derive(Serialize, ToSchema)]
pub struct TransitionJson {
    /// The dossier's version after it.
    pub version: i64,
    /// Status before.
    pub from: &'static str,
    /// Status after.
    pub to: &'static str,
    /// `system`, `officer` or `applicant`.
    pub actor: &'static str,
    /// Why, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Its entry in the integrity log.
    pub ledger_index: u64,
}

/// A verified signature file.
#[derive(Serialize, ToSchema)]
pub struct SignatureJson {
    /// Report id.
    pub id: String,
    /// The signature (.p7s) document.
    pub signature_document_id: String,
    /// The document it signs.
    pub signed_document_id: Option<String>,
    /// ETSI EN 319 102-1 indication: TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE.
    pub indication: String,
    /// ETSI sub-indication.
    pub sub_indication: Option<String>,
    /// The signer's tax code (from UID=MST:...), when valid.
    pub signer_tax_code: Option<String>,
    /// SHA-256 of the stored report.
    pub report_sha256: String,
    /// Where to read the full report.
    pub report_url: String,
}

/// The applicant.
#[derive(Serialize, ToSchema)]
pub struct ApplicantJson {
    /// `business` or `citizen`.
    pub kind: &'static str,
    /// A business's tax code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<String>,
    /// A citizen's identification number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Name.
    pub name: String,
}

/// A document's metadata.
#[derive(Serialize, ToSchema)]
pub struct DocumentJson {
    /// Document id (UUID).
    pub id: String,
    /// The dossier it belongs to.
    pub dossier_id: String,
    /// File name as submitted (base name).
    pub filename: String,
    /// Media type recognised from the content.
    #[schema(example = "application/pdf")]
    pub media_type: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, 64 hex digits.
    pub sha256: String,
    /// When it was stored.
    pub created_at: String,
    /// Where to fetch the bytes.
    pub content_url: String,
}

/// A page of dossiers.
#[derive(Serialize, ToSchema)]
pub struct DossierListJson {
    /// Dossiers, newest first.
    pub items: Vec<DossierJson>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A procedure in the catalogue.
#[derive(Serialize, ToSchema)]
pub struct ProcedureJson {
    /// Code.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Responsible agency.
    pub agency: String,
    /// `FULL` or `PARTIAL` online provision.
    pub level: &'static str,
    /// `business`, `citizen`.
    pub applicants: Vec<&'static str>,
    /// Processing time in working days.
    pub processing_days: u32,
    /// Whether paper originals are needed when no valid digital signature covers the documents.
    pub originals_required: bool,
    /// Linked procedures (liên thông).
    pub linked: Vec<String>,
    /// The kinds of result that complete a dossier of this procedure, or its part of an
    /// interlinked one, e.g. `["birth_registration"]`.
    #[schema(example = json!(["birth_registration"]))]
    pub results: Vec<&'static str>,
    /// The papers of a dossier (thành phần hồ sơ): `code`, `name_vi`, `name_en`.
    #[schema(value_type = Vec<Object>)]
    pub components: Vec<crate::dossier::catalogue::Component>,
    /// The levels of unit that receive it (`province`, `district`, `commune`, `department`,
    /// `agency`); empty: every level.
    pub received_at: Vec<&'static str>,
}

/// The caller, as the server sees it.
#[derive(Serialize, ToSchema)]
pub struct MeJson {
    /// Role.
    pub role: &'static str,
    /// Token id.
    pub token_id: String,
    /// Business tax code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<String>,
    /// Citizen identification number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Staff agency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Staff bound to a unit: its code (they see and file only within its reach).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl From<&Document> for DocumentJson {
    fn from(d: &Document) -> Self {
        Self {
            content_url: format!("/api/v1/documents/{}/content", d.id),
            id: d.id.clone(),
            dossier_id: d.dossier_id.clone(),
            filename: d.filename.clone(),
            media_type: d.media_type.as_str(),
            size: d.size,
            sha256: d.sha256.to_hex(),
            created_at: d.created_at.to_string(),
        }
    }
}

impl DossierJson {
    /// Adds the moves the caller may make now (`DossierService::moves_for`).
    pub fn with_moves(mut self, moves: Vec<crate::dossier::DossierStatus>) -> Self {
        self.allowed_moves = Some(moves.into_iter().map(|s| s.as_str()).collect());
        self
    }

    /// The JSON form; `with_documents` false for listings.
    pub fn from_dossier(d: &Dossier, with_documents: bool) -> Self {
        let applicant = match &d.applicant {
            Applicant::Business { tax_code, name } => ApplicantJson {
                kind: "business",
                tax_code: Some(tax_code.to_string()),
                id_number: None,
                name: name.clone(),
            },
            Applicant::Citizen { id_number, name } => ApplicantJson {
                kind: "citizen",
                tax_code: None,
                id_number: Some(id_number.to_string()),
                name: name.clone(),
            },
        };
        Self {
            id: d.id.clone(),
            unit: d.code.unit().to_owned(),
            code: d.code.to_string(),
            status: d.status.as_str(),
            version: d.version,
            received_at: d
                .history
                .iter()
                .find(|t| t.to == crate::dossier::DossierStatus::Received)
                .map(|t| t.at.to_string()),
            parts: (with_documents && !d.parts.is_empty()).then(|| {
                d.parts
                    .iter()
                    .map(|p| PartJson {
                        procedure: p.procedure.clone(),
                        agency: p.agency.clone(),
                        done: p.done,
                        unit: p.unit.clone().unwrap_or_else(|| d.code.unit().to_owned()),
                    })
                    .collect()
            }),
            due_date: d.due_on.map(|day| day.to_string()),
            overdue: d.is_overdue(crate::workflow::calendar::today()),
            allowed_moves: None,
            history: with_documents.then(|| {
                d.history
                    .iter()
                    .map(|t| TransitionJson {
                        version: t.version,
                        from: t.from.as_str(),
                        to: t.to.as_str(),
                        actor: t.actor.as_str(),
                        reason: t.reason.clone(),
                        at: t.at.to_string(),
                        ledger_index: t.ledger_index,
                    })
                    .collect()
            }),
            procedure: d.procedure.clone(),
            applicant,
            title: d
                .details
                .get("title")
                .and_then(|t| t.as_str())
                .map(str::to_owned),
            details: d.details.clone(),
            submitted_at: d.submitted_at.to_string(),
            updated_at: d.updated_at.to_string(),
            documents: with_documents.then(|| d.documents.iter().map(DocumentJson::from).collect()),
            originals: d.originals.as_ref().map(|o| o.as_str()),
            originals_reason: d.originals.as_ref().and_then(|o| o.reason.clone()),
            signatures: with_documents.then(|| {
                d.signatures
                    .iter()
                    .map(|s| SignatureJson {
                        report_url: format!("/api/v1/signature-reports/{}", s.id),
                        id: s.id.clone(),
                        signature_document_id: s.signature_document_id.clone(),
                        signed_document_id: s.signed_document_id.clone(),
                        indication: s.indication.clone(),
                        sub_indication: s.sub_indication.clone(),
                        signer_tax_code: s.signer_tax_code.clone(),
                        report_sha256: s.report_sha256.clone(),
                    })
                    .collect()
            }),
        }
    }
}

impl From<&Procedure> for ProcedureJson {
    fn from(p: &Procedure) -> Self {
        Self {
            code: p.code.clone(),
            name_vi: p.name_vi.clone(),
            name_en: p.name_en.clone(),
            agency: p.agency.clone(),
            level: match p.level {
                crate::dossier::ProvisionLevel::Full => "FULL",
                crate::dossier::ProvisionLevel::Partial => "PARTIAL",
            },
            applicants: p.applicants.iter().map(|a| a.as_str()).collect(),
            processing_days: p.processing_days,
            originals_required: p.originals_required,
            linked: p.linked.clone(),
            results: p.results.iter().map(|k| k.as_str()).collect(),
            components: p.components.clone(),
            received_at: p.received_at.iter().map(|l| l.as_str()).collect(),
        }
    }
}
