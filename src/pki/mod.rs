//! Public-key infrastructure: certificates and CRLs (parsed with x509-parser), signature
//! verification (OpenSSL), and RFC 5280 certification path validation with revocation.
//!
//! Owns: trust decisions about certificates. Never reaches: HTTP, the database, PDF. Fails
//! closed: anything it does not understand makes a path invalid, never valid.

pub mod cert;
pub mod identity;
pub mod name;
pub mod ocsp;
pub mod policy;
pub mod signed_data;
pub mod validate;

pub use cert::{Cert, Crl};
pub use signed_data::AlgorithmPolicy;
pub use validate::{
    Evidence, PathError, RevocationMode, Store, ValidPath, ValidationParams, validate,
};

/// Input that is not a certificate or CRL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkiError {
    /// Not parseable.
    #[error("malformed {0}")]
    Malformed(String),
    /// A trust store, certificate or CRL file that cannot be read (missing, not allowed).
    #[error("cannot read {0}")]
    Unreadable(String),
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

/// Every PEM block with this label, or the whole input as one DER object when there is none.
pub fn pem_or_der_all(input: &[u8], label: &str) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(input);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(start) = rest.find(&begin) {
        let body = &rest[start + begin.len()..];
        let Some(stop) = body.find(&end) else { break };
        let b64: String = body[..stop].split_whitespace().collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &body[stop + end.len()..];
    }
    if out.is_empty() && !text.contains("-----BEGIN") {
        out.push(input.to_vec());
    }
    out
}

/// Reading trust stores, certificate pools and CRLs from files and folders.
pub mod load {
    use std::path::Path;

    use super::{Cert, Crl, PkiError, pem_or_der_all};

    fn files(path: &Path) -> Result<Vec<std::path::PathBuf>, PkiError> {
        let io = |e: std::io::Error| PkiError::Unreadable(format!("{}: {e}", path.display()));
        if path.is_dir() {
            let mut out: Vec<_> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            out.sort();
            Ok(out)
        } else {
            std::fs::metadata(path).map_err(io)?;
            Ok(vec![path.to_path_buf()])
        }
    }

    /// Every certificate in a file (DER, or PEM with one or more blocks) or a folder of them.
    pub fn certs(path: &Path) -> Result<Vec<Cert>, PkiError> {
        let mut out = Vec::new();
        for file in files(path)? {
            let bytes = std::fs::read(&file)
                .map_err(|e| PkiError::Unreadable(format!("{}: {e}", file.display())))?;
            for der in pem_or_der_all(&bytes, "CERTIFICATE") {
                out.push(
                    Cert::parse(&der)
                        .map_err(|e| PkiError::Malformed(format!("{}: {e}", file.display())))?,
                );
            }
        }
        Ok(out)
    }

    /// Every CRL in a file (DER or PEM) or a folder of them.
    pub fn crls(path: &Path) -> Result<Vec<Crl>, PkiError> {
        let mut out = Vec::new();
        for file in files(path)? {
            let bytes = std::fs::read(&file)
                .map_err(|e| PkiError::Unreadable(format!("{}: {e}", file.display())))?;
            for der in pem_or_der_all(&bytes, "X509 CRL") {
                out.push(
                    Crl::parse(&der)
                        .map_err(|e| PkiError::Malformed(format!("{}: {e}", file.display())))?,
                );
            }
        }
        Ok(out)
    }
}
