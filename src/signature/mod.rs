//! Digital signatures on submitted documents: verification of CMS/PKCS#7 signatures (and,
//! later, PDF signatures), reported in the manner of ETSI EN 319 102-1.
//!
//! Owns: the validation report, the mapping of failures to ETSI indications, and the rules a
//! signer's certificate must meet (key usage, extended key usage). Relies on `pki` for paths.
//! Never reaches: the database, HTTP, the object store.

pub mod appearance;
pub mod cms;
pub mod ltv;
pub mod pades;
pub mod pkcs11;
pub mod report;
pub mod sign;
pub mod tsa;

pub use report::{Indication, Report, SignatureReport, SubIndication};

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
}
