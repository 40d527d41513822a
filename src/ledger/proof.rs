//! The document proof: everything needed to check, offline and without trusting the operator,
//! that a document was recorded in the log: its `document_stored` entry, the entry's inclusion
//! proof in a signed checkpoint's tree, and the checkpoint. Checked against a verifier key the
//! checker obtained independently (the agency publishes it).

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::checkpoint::VerifierKey;
use super::entry::parse_canonical;
use super::merkle::{self, Hash};

/// The format marker of [`DocumentProof`].
pub const FORMAT: &str = "motcua-document-proof/v1";
/// The same proof for an issued result (its `result_issued` entry, the signed PDF's SHA-256).
pub const RESULT_FORMAT: &str = "motcua-result-proof/v1";
/// The same proof for a signature verification report (its `signature_verified` entry, the
/// stored report's SHA-256).
pub const REPORT_FORMAT: &str = "motcua-report-proof/v1";

/// The same proof for a dossier's record (its `dossier_submitted` entry, the SHA-256 of the
/// record's canonical JSON: id, code, procedure, applicant, details, submitter, time).
pub const DOSSIER_FORMAT: &str = "motcua-dossier-proof/v1";

/// For each format: the entry kind it proves, the entry's id field, its digest field.
const FORMATS: [(&str, &str, &str, &str); 4] = [
    (
        DOSSIER_FORMAT,
        "dossier_submitted",
        "dossier",
        "record_sha256",
    ),
    (FORMAT, "document_stored", "document", "sha256"),
    (RESULT_FORMAT, "result_issued", "result", "sha256"),
    (
        REPORT_FORMAT,
        "signature_verified",
        "signature_report",
        "report_sha256",
    ),
];

/// A document proof, as served by `GET /api/v1/documents/{id}/proof`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentProof {
    /// Always [`FORMAT`].
    pub format: String,
    /// The document's metadata (id, sha256, size, ...), as the API describes it.
    pub document: serde_json::Value,
    /// Its log entry.
    pub entry: ProofEntry,
    /// The entry's inclusion proof in the checkpoint's tree.
    pub inclusion: ProofInclusion,
    /// A signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The log's verifier key, for information: a checker uses the one it trusts.
    pub verifier_key: String,
}

/// A log entry inside a proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProofEntry {
    /// Index.
    pub index: u64,
    /// Hex leaf hash.
    pub leaf_hash: String,
    /// The exact entry bytes, base64.
    pub entry_b64: String,
    /// The entry, parsed (for people; the bytes are what is checked).
    pub entry: serde_json::Value,
}

/// An inclusion proof inside a document proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProofInclusion {
    /// Entry index.
    pub index: u64,
    /// Tree size (the checkpoint's).
    pub tree_size: u64,
    /// Hex leaf hash.
    pub leaf_hash: String,
    /// Hex audit path.
    pub path: Vec<String>,
}

/// What a verified proof establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenDocument {
    /// Document id.
    pub document: String,
    /// Its SHA-256 as logged.
    pub sha256: String,
    /// Its size as logged.
    pub size: u64,
    /// The entry's index.
    pub index: u64,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The log's origin.
    pub origin: String,
}

fn hash(text: &str, what: &str) -> Result<Hash, String> {
    hex::decode(text)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| format!("{what} is not a 32-byte hex hash"))
}

/// Checks a proof against `key`; with `document_sha256`, also that the document in hand is the
/// one logged. Fails closed with the reason.
pub fn verify_document_proof(
    proof: &DocumentProof,
    key: &VerifierKey,
    document_sha256: Option<&str>,
) -> Result<ProvenDocument, String> {
    let Some(&(_, kind, id_field, digest_field)) =
        FORMATS.iter().find(|(f, ..)| *f == proof.format)
    else {
        return Err(format!("unknown proof format {:?}", proof.format));
    };
    let checkpoint = key.verify(&proof.checkpoint).map_err(|e| e.to_string())?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&proof.entry.entry_b64)
        .map_err(|_| "the entry is not base64".to_owned())?;
    let leaf = merkle::leaf_hash(&bytes);
    if hash(&proof.inclusion.leaf_hash, "the leaf hash")? != leaf {
        return Err("the entry bytes do not hash to the proof's leaf hash".into());
    }
    if proof.inclusion.tree_size != checkpoint.size {
        return Err(format!(
            "the inclusion proof is for tree size {}, the checkpoint for {}",
            proof.inclusion.tree_size, checkpoint.size
        ));
    }
    if proof.inclusion.index != proof.entry.index {
        return Err("the entry and the inclusion proof name different indices".into());
    }
    let path = proof
        .inclusion
        .path
        .iter()
        .map(|h| hash(h, "a path hash"))
        .collect::<Result<Vec<_>, _>>()?;
    merkle::verify_inclusion(
        &leaf,
        proof.inclusion.index,
        checkpoint.size,
        &path,
        &checkpoint.root,
    )
    .map_err(|e| format!("the entry is not in the checkpoint's tree: {e}"))?;
    let entry = parse_canonical(&bytes)?;
    if entry["kind"] != kind {
        return Err(format!(
            "the entry does not record what a {} proves",
            proof.format
        ));
    }
    if entry["index"].as_u64() != Some(proof.inclusion.index) {
        return Err("the entry's own index differs from its position".into());
    }
    let id = entry[id_field].as_str().unwrap_or_default().to_owned();
    let sha256 = entry[digest_field].as_str().unwrap_or_default().to_owned();
    if proof.document["id"].as_str() != Some(&id)
        || proof.document["sha256"].as_str() != Some(&sha256)
    {
        return Err("the document described does not match the logged entry".into());
    }
    if let Some(actual) = document_sha256
        && actual != sha256
    {
        return Err(format!(
            "the document in hand hashes to {actual}, the log recorded {sha256}: it was altered"
        ));
    }
    Ok(ProvenDocument {
        document: id,
        sha256,
        size: entry["size"].as_u64().unwrap_or_default(),
        index: proof.inclusion.index,
        tree_size: checkpoint.size,
        origin: checkpoint.origin,
    })
}
