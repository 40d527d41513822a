//! The validation report (ETSI EN 319 102-1 indications), in JSON and in readable text, in
//! Vietnamese and English.

use serde::Serialize;

use crate::pki::identity::Identity;

/// The main status indication (ETSI EN 319 102-1 §5.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// A check failed: the signature is not valid.
    TotalFailed,
    /// The checks could not conclude (missing information, constraints).
    Indeterminate,
}

/// The sub-indication (ETSI EN 319 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The signed data's hash differs from the one signed.
    HashFailure,
    /// The signature value does not verify.
    SigCryptoFailure,
    /// The signature is malformed.
    FormatFailure,
    /// The signer's certificate was revoked.
    Revoked,
    /// The signer's certificate had expired at the validation time.
    OutOfBoundsNoPoe,
    /// The signer's certificate was not yet valid.
    NotYetValid,
    /// No signer certificate in or beside the signature.
    NoSigningCertificateFound,
    /// No path to a trusted root.
    NoCertificateChainFound,
    /// The path breaks a constraint (CA, path length, names, policies).
    ChainConstraintsFailure,
    /// The signature breaks a constraint (key usage, missing attributes).
    SigConstraintsFailure,
    /// A refused algorithm (SHA-1, MD5).
    CryptoConstraintsFailureNoPoe,
    /// Revocation status could not be had; try later.
    TryLater,
}

impl Indication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TotalPassed => "TOTAL_PASSED",
            Self::TotalFailed => "TOTAL_FAILED",
            Self::Indeterminate => "INDETERMINATE",
        }
    }
}

impl SubIndication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HashFailure => "HASH_FAILURE",
            Self::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
            Self::FormatFailure => "FORMAT_FAILURE",
            Self::Revoked => "REVOKED",
            Self::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
            Self::NotYetValid => "NOT_YET_VALID",
            Self::NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
            Self::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
            Self::ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
            Self::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
            Self::CryptoConstraintsFailureNoPoe => "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
            Self::TryLater => "TRY_LATER",
        }
    }

    /// The indication this sub-indication belongs to.
    pub fn indication(self) -> Indication {
        match self {
            // ETSI EN 319 102-1 §5.1.3, Table 5.
            Self::FormatFailure
            | Self::HashFailure
            | Self::SigCryptoFailure
            | Self::Revoked
            | Self::NotYetValid => Indication::TotalFailed,
            _ => Indication::Indeterminate,
        }
    }
}

/// One signature.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// Position in the file (0-based).
    pub index: usize,
    /// The outcome.
    pub indication: Indication,
    /// Why, when not TOTAL_PASSED.
    pub sub_indication: Option<SubIndication>,
    /// The signer.
    pub signer: Option<Identity>,
    /// When it was signed, RFC 3339.
    pub signing_time: Option<String>,
    /// Where the signing time comes from: `timestamp`, `claimed` (the signer's own attribute),
    /// or `none`.
    pub signing_time_source: &'static str,
    /// The time the certificates were validated at, RFC 3339.
    pub validation_time: String,
    /// Digest algorithm OID.
    pub digest_algorithm: String,
    /// Signature algorithm OID.
    pub signature_algorithm: String,
    /// The certification path, trust anchor first.
    pub chain: Vec<Identity>,
    /// What failed, for people.
    pub errors: Vec<String>,
    /// What holds only with reservations.
    pub warnings: Vec<String>,
    /// The CRLs and OCSP responses the revocation decisions rest on (DER, base64).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation_evidence: Vec<crate::pki::Evidence>,
    /// For a PDF signature: its /ByteRange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_range: Option<Vec<i64>>,
    /// For a PDF signature: whether the signed revision is the whole file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covers_whole_file: Option<bool>,
    /// For a PDF signature: what later revisions changed (`none`, `ltv_additions`,
    /// `signatures_and_forms`, `annotations`, `other`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modifications: Option<crate::pdf::changes::ChangeClass>,
}

/// A whole file's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `CMS` or `PAdES`.
    pub format: &'static str,
    /// TOTAL_PASSED when every signature passed; TOTAL_FAILED when any failed; else
    /// INDETERMINATE.
    pub indication: Indication,
    /// The sub-indication of the signature that decided the overall indication.
    pub sub_indication: Option<SubIndication>,
    /// Each signature.
    pub signatures: Vec<SignatureReport>,
    /// Problems with the file as a whole (unreadable signature, no signed file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Report {
    /// Combines signature reports.
    pub fn new(format: &'static str, signatures: Vec<SignatureReport>) -> Self {
        let worst = signatures
            .iter()
            .find(|s| s.indication == Indication::TotalFailed)
            .or_else(|| {
                signatures
                    .iter()
                    .find(|s| s.indication == Indication::Indeterminate)
            });
        let (indication, sub_indication) = match worst {
            Some(s) => (s.indication, s.sub_indication),
            None if signatures.is_empty() => (
                Indication::Indeterminate,
                Some(SubIndication::FormatFailure),
            ),
            None => (Indication::TotalPassed, None),
        };
        Self {
            format,
            indication,
            sub_indication,
            signatures,
            errors: Vec::new(),
        }
    }

    /// The report for a file whose signature cannot be read at all.
    pub fn unreadable(format: &'static str, message: String) -> Self {
        Self {
            format,
            indication: Indication::Indeterminate,
            sub_indication: Some(SubIndication::FormatFailure),
            signatures: Vec::new(),
            errors: vec![message],
        }
    }

    /// Readable text, Vietnamese first, then English.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict = |i: Indication| match i {
            Indication::TotalPassed => ("HỢP LỆ", "VALID"),
            Indication::TotalFailed => ("KHÔNG HỢP LỆ", "INVALID"),
            Indication::Indeterminate => ("CHƯA XÁC ĐỊNH", "INDETERMINATE"),
        };
        let (vi, en) = verdict(self.indication);
        out.push_str(&format!(
            "Kết quả / Result: {vi} / {en} ({}{})\n",
            self.indication.as_str(),
            self.sub_indication
                .map(|s| format!(", {}", s.as_str()))
                .unwrap_or_default()
        ));
        for e in &self.errors {
            out.push_str(&format!("Lỗi / Error: {e}\n"));
        }
        for s in &self.signatures {
            let (vi, en) = verdict(s.indication);
            out.push_str(&format!(
                "\nChữ ký / Signature {}: {vi} / {en}\n",
                s.index + 1
            ));
            if let Some(signer) = &s.signer {
                out.push_str(&format!("  Người ký / Signer: {}\n", signer.subject));
                if let Some(t) = &signer.tax_code {
                    out.push_str(&format!("  Mã số thuế / Tax code: {t}\n"));
                }
                out.push_str(&format!("  Cấp bởi / Issuer: {}\n", signer.issuer));
            }
            if let Some(t) = &s.signing_time {
                out.push_str(&format!(
                    "  Thời điểm ký / Signing time: {t} ({})\n",
                    s.signing_time_source
                ));
            }
            out.push_str(&format!(
                "  Thời điểm kiểm tra / Validated at: {}\n",
                s.validation_time
            ));
            for e in &s.errors {
                out.push_str(&format!("  Lỗi / Error: {e}\n"));
            }
            for w in &s.warnings {
                out.push_str(&format!("  Cảnh báo / Warning: {w}\n"));
            }
        }
        out
    }
}
