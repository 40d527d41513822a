//! Signatures at intake: every submitted `.p7s` is verified against the business trust store,
//! its report kept as an object, and the dossier's paper originals are waived when a signature
//! is TOTAL_PASSED and its signer is the applicant (same tax code; for a citizen, the same
//! identification number).
//!
//! Signed PDFs are verified too (PAdES), each signature inside them.
//! A `.p7s` part signs the file it names (`giay-de-nghi.pdf.p7s` signs `giay-de-nghi.pdf`), else
//! the file part just before it. Digests are taken from the stored objects (SHA-256 is already
//! known from storage), so large signed files are never read into memory.

use std::collections::HashMap;

use futures_util::StreamExt as _;
use openssl::hash::Hasher;

use std::sync::Arc;

use crate::content::MediaType;
use crate::gate::WorkGate;
use crate::pki::identity::Identifier;
use crate::signature::{Indication, Report, VerifyOptions, cms};
use crate::storage::{ObjectStore, StorageError, StoredObject};

use super::intake::{IntakeError, ReceivedFile};
use crate::vocabulary::Applicant;

/// A signature file larger than this is not a signature anyone meant (CMS signatures with their
/// certificates are a few KiB); it is reported unreadable without being read.
const MAX_SIGNATURE_BYTES: u64 = 4 * 1024 * 1024;

/// SHA-256's OID: the digest storage already computed.
const SHA256: &str = "2.16.840.1.101.3.4.2.1";

/// How intake verifies signatures.
#[derive(Debug, Clone)]
pub struct SignaturePolicy {
    /// Trust store (business CAs), revocation mode, algorithms.
    pub options: VerifyOptions,
    /// The same, with the agency trust anchors instead, when configured.
    pub agency: Option<VerifyOptions>,
}

/// One verified signature file.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signature file's position among the dossier's files.
    pub signature_index: usize,
    /// The signed file's position, when one was found.
    pub signed_index: Option<usize>,
    /// The report.
    pub report: Report,
    /// Where the report (JSON) is stored.
    pub object: StoredObject,
}

pub use super::model::Originals;

fn signed_file_for(index: usize, files: &[ReceivedFile]) -> Option<usize> {
    let name = &files[index].filename;
    let stem = [".p7s", ".p7m", ".P7S", ".P7M"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext));
    if let Some(stem) = stem
        && let Some(i) = files
            .iter()
            .position(|f| f.media_type != MediaType::Cms && f.filename == stem)
    {
        return Some(i);
    }
    (0..index)
        .rev()
        .find(|&i| files[i].media_type != MediaType::Cms)
}

async fn read_small(
    store: &ObjectStore,
    object: &StoredObject,
) -> Result<Option<Vec<u8>>, StorageError> {
    if object.size > MAX_SIGNATURE_BYTES {
        return Ok(None);
    }
    let mut stream = store.get(&object.sha256, None).await?;
    let mut out = Vec::with_capacity(object.size as usize);
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.map_err(|e| StorageError::Io {
            context: "reading a signature".into(),
            source: e,
        })?);
    }
    Ok(Some(out))
}

async fn digest_of(
    store: &ObjectStore,
    object: &StoredObject,
    oid: &str,
) -> Result<Option<Vec<u8>>, StorageError> {
    if oid == SHA256 {
        return Ok(Some(object.sha256.as_bytes().to_vec()));
    }
    let Some(md) = cms::message_digest(oid) else {
        return Ok(None);
    };
    let io = |e: std::io::Error| StorageError::Io {
        context: "hashing a signed document".into(),
        source: e,
    };
    let mut hasher = Hasher::new(md).map_err(|e| io(std::io::Error::other(e)))?;
    let mut stream = store.get(&object.sha256, None).await?;
    while let Some(chunk) = stream.next().await {
        hasher
            .update(&chunk.map_err(io)?)
            .map_err(|e| io(std::io::Error::other(e)))?;
    }
    Ok(Some(
        hasher
            .finish()
            .map_err(|e| io(std::io::Error::other(e)))?
            .to_vec(),
    ))
}

/// Verifies every signature file among `files`, storing each report; the verification runs
/// under the node's work gate.
pub async fn verify_at_intake(
    store: &ObjectStore,
    policy: &SignaturePolicy,
    gate: &WorkGate,
    files: &[ReceivedFile],
) -> Result<Vec<Verified>, IntakeError> {
    let mut out = Vec::new();
    for (i, file) in files.iter().enumerate() {
        if file.media_type == MediaType::Pdf {
            if let Some(v) = verify_pdf(store, policy, gate, i, file).await? {
                out.push(v);
            }
            continue;
        }
        if file.media_type != MediaType::Cms {
            continue;
        }
        let signed_index = signed_file_for(i, files);
        let report = match (read_small(store, &file.object).await?, signed_index) {
            (None, _) => Report::unreadable(
                "CMS",
                "the signature file is too large to be a signature".into(),
            ),
            (Some(p7s), signed) => {
                let mut digests = HashMap::new();
                if let Some(s) = signed {
                    for oid in cms::digest_algorithms(&p7s).unwrap_or_default() {
                        if let Some(d) = digest_of(store, &files[s].object, &oid).await? {
                            digests.insert(oid, d);
                        }
                    }
                }
                let options = policy.options.clone();
                let has_content = signed.is_some();
                let cost = crate::signature::working_set(&[], Some(&p7s));
                // Verification may ask OCSP responders: blocking network I/O, off the runtime.
                let outcome = gate
                    .run(cost, move || {
                        let content = has_content.then_some(cms::Content::Digests(&digests));
                        cms::verify(&p7s, content, &options)
                    })
                    .await?;
                match outcome {
                    Ok(r) => r,
                    Err(crate::signature::InputError::MissingContent) => Report::unreadable(
                        "CMS",
                        "the signature is detached and no file in the dossier precedes or is named by it".into(),
                    ),
                    Err(e) => Report::unreadable("CMS", e.to_string()),
                }
            }
        };
        let json = serde_json::to_vec_pretty(&report).expect("reports serialise");
        let object = store.put_bytes(bytes::Bytes::from(json)).await?;
        out.push(Verified {
            signature_index: i,
            signed_index,
            report,
            object,
        });
    }
    Ok(out)
}

/// PDFs up to this size are checked for signatures at intake (they are read into memory).
const MAX_PDF_VERIFY_BYTES: u64 = 64 * 1024 * 1024;

/// Verifies the signatures inside a PDF; `None` for a PDF without any.
async fn verify_pdf(
    store: &ObjectStore,
    policy: &SignaturePolicy,
    gate: &WorkGate,
    index: usize,
    file: &ReceivedFile,
) -> Result<Option<Verified>, IntakeError> {
    if file.object.size > MAX_PDF_VERIFY_BYTES {
        return Ok(None);
    }
    let mut stream = store.get(&file.object.sha256, None).await?;
    let mut bytes = Vec::with_capacity(file.object.size as usize);
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(|e| StorageError::Io {
            context: "reading a PDF".into(),
            source: e,
        })?);
    }
    let options = Arc::new(policy.options.clone());
    let report = crate::signature::verify_gated(gate, bytes, None, options).await?;
    let report = match report {
        Ok(r) => r,
        Err(crate::signature::InputError::NoSignature) => return Ok(None),
        Err(e) => Report::unreadable("PAdES", e.to_string()),
    };
    let json = serde_json::to_vec_pretty(&report).expect("reports serialise");
    let object = store.put_bytes(bytes::Bytes::from(json)).await?;
    Ok(Some(Verified {
        signature_index: index,
        signed_index: Some(index),
        report,
        object,
    }))
}

fn signer_is_applicant(report: &Report, applicant: &Applicant) -> bool {
    report.signatures.iter().any(|s| {
        s.indication == Indication::TotalPassed
            && s.signer.as_ref().is_some_and(|signer| match applicant {
                Applicant::Business { tax_code, .. } => {
                    signer.tax_code.as_deref() == Some(tax_code.as_str())
                }
                Applicant::Citizen { id_number, .. } => signer.identifiers.iter().any(|i| {
                    matches!(i, Identifier::Cccd { number } | Identifier::Cmnd { number } if number == id_number.as_str())
                }),
            })
    })
}

/// Decides whether paper originals are waived.
pub fn decide(applicant: &Applicant, verified: &[Verified], trust_configured: bool) -> Originals {
    if verified.iter().any(|v| {
        v.report.indication == Indication::TotalPassed && signer_is_applicant(&v.report, applicant)
    }) {
        return Originals {
            waived: true,
            reason: None,
        };
    }
    let reason = if verified.is_empty() {
        "no digitally signed file was submitted (a signed PDF or a .p7s signature)".to_owned()
    } else if !trust_configured {
        "no business trust store is configured, so no signature can be trusted".to_owned()
    } else if let Some(v) = verified
        .iter()
        .find(|v| v.report.indication == Indication::TotalPassed)
    {
        let signer = v.report.signatures[0]
            .signer
            .as_ref()
            .and_then(|s| s.tax_code.clone())
            .unwrap_or_else(|| "none".into());
        format!("the signature is valid, but the signer (tax code {signer}) is not the applicant")
    } else {
        let v = &verified[0];
        format!(
            "the signature is not valid: {}{}",
            v.report.indication.as_str(),
            v.report
                .sub_indication
                .map(|s| format!(" / {}", s.as_str()))
                .unwrap_or_default()
        )
    };
    Originals {
        waived: false,
        reason: Some(reason),
    }
}
