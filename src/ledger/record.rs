//! A dossier's record as its `dossier_submitted` entry vouches for it, declared once: the fields
//! fixed at filing, as canonical JSON (RFC 8785). The entry holds the SHA-256 of these bytes
//! (`record_sha256`), never the personal data itself; a verifier recomputes it from the stored
//! row to prove the row unaltered, and an archive bag carries the bytes as `record.json`.

use crate::db::{DossierRow, NewDossier};
use crate::storage::Sha256Digest;

/// The fields of a dossier fixed at filing, as the log vouches for them.
#[derive(Debug, Clone, Copy)]
pub struct DossierRecord<'a> {
    /// UUID.
    pub id: &'a str,
    /// Dossier code.
    pub code: &'a str,
    /// Procedure code.
    pub procedure: &'a str,
    /// `business` or `citizen`.
    pub applicant_kind: &'a str,
    /// A business's tax code.
    pub applicant_tax_code: Option<&'a str>,
    /// A citizen's identification number.
    pub applicant_id_number: Option<&'a str>,
    /// The applicant's name.
    pub applicant_name: &'a str,
    /// Further declared data, as JSON text.
    pub details: &'a str,
    /// The submitter's token id.
    pub submitted_by: &'a str,
    /// The filing instant (RFC 3339 text).
    pub submitted_at: &'a str,
}

impl DossierRecord<'_> {
    /// The canonical JSON the entry's digest is taken of.
    pub fn bytes(&self) -> Vec<u8> {
        let text = |v: Option<&str>| v.map_or(serde_json::Value::Null, |s| s.into());
        let object: serde_json::Map<String, serde_json::Value> = [
            ("id", Some(self.id)),
            ("code", Some(self.code)),
            ("procedure", Some(self.procedure)),
            ("applicant_kind", Some(self.applicant_kind)),
            ("applicant_tax_code", self.applicant_tax_code),
            ("applicant_id_number", self.applicant_id_number),
            ("applicant_name", Some(self.applicant_name)),
            ("details", Some(self.details)),
            ("submitted_by", Some(self.submitted_by)),
            ("submitted_at", Some(self.submitted_at)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), text(v)))
        .collect();
        let mut bytes = Vec::new();
        super::entry::canonical(&serde_json::Value::Object(object), &mut bytes)
            .expect("strings and nulls are canonical");
        bytes
    }

    /// The digest a `dossier_submitted` entry records (`record_sha256`).
    pub fn digest(&self) -> Sha256Digest {
        Sha256Digest::of(&self.bytes())
    }
}

impl<'a> From<&'a DossierRow> for DossierRecord<'a> {
    fn from(row: &'a DossierRow) -> Self {
        Self {
            id: &row.id,
            code: &row.code,
            procedure: &row.procedure_code,
            applicant_kind: &row.applicant_kind,
            applicant_tax_code: row.applicant_tax_code.as_deref(),
            applicant_id_number: row.applicant_id_number.as_deref(),
            applicant_name: &row.applicant_name,
            details: &row.details,
            submitted_by: &row.submitted_by,
            submitted_at: &row.submitted_at,
        }
    }
}

impl<'a> From<&'a NewDossier<'a>> for DossierRecord<'a> {
    fn from(row: &'a NewDossier<'a>) -> Self {
        Self {
            id: row.id,
            code: row.code,
            procedure: row.procedure_code,
            applicant_kind: row.applicant_kind,
            applicant_tax_code: row.applicant_tax_code,
            applicant_id_number: row.applicant_id_number,
            applicant_name: row.applicant_name,
            details: row.details,
            submitted_by: row.submitted_by,
            submitted_at: row.submitted_at,
        }
    }
}
