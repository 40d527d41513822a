//! Digital signatures on submitted documents: verification of CMS/PKCS#7 signatures and PDF
//! signatures (PAdES), reported in the manner of ETSI EN 319 102-1; and the agency's side,
//! making them.
//!
//! Owns: the validation report, the mapping of failures to ETSI indications, the rules a
//! signer's certificate must meet (key usage, extended key usage), and which verifier a file
//! goes to ([`verify_document`], the one dispatch the API, the public page, intake and the
//! command line share). Relies on `pki` for paths. Never reaches: the database, HTTP, the
//! object store.

pub mod appearance;
pub mod cms;
pub mod ltv;
pub mod pades;
pub mod pkcs11;
pub mod report;
pub mod sign;
pub mod tsa;

pub use report::{Indication, Report, SignatureReport, SubIndication};

use crate::gate::{GateError, WorkGate};
use crate::pki::{AlgorithmPolicy, RevocationMode, Store};

/// What a verification is checked against.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Trust anchors, extra certificates and CRLs.
    pub store: Store,
    /// Revocation checking (`Soft` by default: unknown status is a warning).
    pub revocation: RevocationMode,
    /// Validate at this time (Unix seconds) instead of the signing time.
    pub at: Option<i64>,
    /// Accepted algorithms (SHA-1 refused by default).
    pub algorithms: AlgorithmPolicy,
    /// Ask OCSP responders named in certificates (network access).
    pub ocsp: bool,
}

/// Input that cannot be verified at all (exit 3 in the CLI, 422 in the API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not a CMS SignedData structure.
    #[error("not a CMS/PKCS#7 signature: {0}")]
    NotCms(String),
    /// A detached signature without the data it signs.
    #[error("the signature is detached: give the signed file too")]
    MissingContent,
    /// No signature in the file.
    #[error("the file holds no signature")]
    NoSignature,
    /// A PDF that cannot be read.
    #[error("{0}")]
    NotPdf(String),
    /// Neither a PDF nor a CMS signature.
    #[error(
        "the file is neither a signed PDF nor a CMS/PKCS#7 signature (.p7s); to check a \
         detached signature, send the signed file and its .p7s together"
    )]
    Unrecognised,
}

/// Verifies a file: a PDF (the signatures inside it), a CMS signature carrying its content,
/// or, with `signature`, a detached CMS signature over `file`. Blocking (OCSP may be asked).
pub fn verify_document(
    file: &[u8],
    signature: Option<&[u8]>,
    options: &VerifyOptions,
) -> Result<Report, InputError> {
    use crate::content::{MediaType, detect};
    match signature {
        Some(sig) => cms::verify(sig, Some(cms::Content::Bytes(file)), options),
        None => match detect(file) {
            Some(MediaType::Pdf) => pades::verify(file, options),
            Some(MediaType::Cms) => cms::verify(file, None, options),
            _ => Err(InputError::Unrecognised),
        },
    }
}

/// The most memory [`verify_document`] takes beyond its input: a PDF's reading budget
/// (`pdf::read`), or for CMS a few times the signature (certificates and CRLs decoded, BER
/// re-encoded) plus a margin. Reads the whole input once (blocking).
pub fn working_set(file: &[u8], signature: Option<&[u8]>) -> u64 {
    const CMS_MARGIN: u64 = 8 * 1024 * 1024;
    let cms = |bytes: &[u8]| 4 * bytes.len() as u64 + CMS_MARGIN;
    match signature {
        Some(sig) => cms(sig),
        None if crate::content::detect(file) == Some(crate::content::MediaType::Pdf) => {
            crate::pdf::read::working_set(file)
        }
        None => cms(file),
    }
}

/// [`verify_document`] under the node's [`WorkGate`]: off the async workers, once its working
/// set is free.
pub async fn verify_gated(
    gate: &WorkGate,
    file: Vec<u8>,
    signature: Option<Vec<u8>>,
    options: std::sync::Arc<VerifyOptions>,
) -> Result<Result<Report, InputError>, GateError> {
    gate.run_costed(
        (file, signature),
        |(file, signature)| working_set(file, signature.as_deref()),
        move |(file, signature)| verify_document(&file, signature.as_deref(), &options),
    )
    .await
}
