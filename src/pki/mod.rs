//! Public-key infrastructure: certificates and CRLs (parsed with x509-parser), signature
//! verification (OpenSSL), and RFC 5280 certification path validation with revocation.
//!
//! Owns: trust decisions about certificates. Never reaches: HTTP, the database, PDF. Fails
//! closed: anything it does not understand makes a path invalid, never valid.

pub mod cert;
pub mod name;
pub mod policy;
pub mod signed_data;
pub mod validate;

pub use cert::{Cert, Crl};
pub use signed_data::AlgorithmPolicy;
pub use validate::{PathError, RevocationMode, Store, ValidPath, ValidationParams, validate};

/// Input that is not a certificate or CRL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkiError {
    /// Not parseable.
    #[error("malformed {0}")]
    Malformed(String),
}

/// DER from DER or from the first PEM block with this label.
pub(crate) fn pem_or_der(input: &[u8], label: &str) -> Vec<u8> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(input);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    if let Some(start) = text.find(&begin) {
        let body = &text[start + begin.len()..];
        if let Some(stop) = body.find(&end) {
            let b64: String = body[..stop].split_whitespace().collect();
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
                return der;
            }
        }
    }
    input.to_vec()
}
