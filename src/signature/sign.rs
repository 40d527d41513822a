//! Making signatures: CAdES-style detached CMS (for PAdES, SubFilter ETSI.CAdES.detached) with
//! the signed attributes ETSI EN 319 142-1 asks for — content-type, message-digest and
//! signing-certificate-v2, and no signing-time (the claimed time goes in the PDF's /M) — and
//! PDF signing as an incremental update. The private key stays in OpenSSL's `PKey`.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{Id, PKey, Private};
use openssl::sign::Signer;
use openssl::x509::X509;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// Signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key, certificate or encoding problem.
    #[error("signing: {0}")]
    Failed(String),
    /// The time-stamping authority could not give a usable token (B-T).
    #[error("time-stamping: {0}")]
    Timestamp(String),
    /// The PDF cannot be signed.
    #[error("the PDF cannot be signed: {0}")]
    Pdf(String),
}

fn failed<E: std::fmt::Display>(e: E) -> SignError {
    SignError::Failed(e.to_string())
}

/// A signing identity: the private key, its certificate and the chain to include.
pub struct SigningIdentity {
    key: PKey<Private>,
    cert: X509,
    chain: Vec<X509>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity").finish_non_exhaustive()
    }
}

impl SigningIdentity {
    /// An identity from a key, its certificate and intermediates (PEM).
    pub fn from_pem(key: &[u8], cert: &[u8], chain: &[u8]) -> Result<Self, SignError> {
        let key = PKey::private_key_from_pem(key).map_err(failed)?;
        let cert = X509::from_pem(cert).map_err(failed)?;
        if !cert.public_key().map_err(failed)?.public_eq(&key) {
            return Err(SignError::Failed(
                "the key does not belong to the certificate".into(),
            ));
        }
        let chain = if chain.is_empty() {
            Vec::new()
        } else {
            X509::stack_from_pem(chain).map_err(failed)?
        };
        Ok(Self { key, cert, chain })
    }

    /// An identity from a PKCS#12 file (key, certificate and any CA certificates it holds).
    pub fn from_pkcs12(der: &[u8], passphrase: &str) -> Result<Self, SignError> {
        let parsed = openssl::pkcs12::Pkcs12::from_der(der)
            .and_then(|p| p.parse2(passphrase))
            .map_err(|_| {
                SignError::Failed(
                    "cannot open the PKCS#12 file (wrong passphrase or not PKCS#12)".into(),
                )
            })?;
        let (Some(key), Some(cert)) = (parsed.pkey, parsed.cert) else {
            return Err(SignError::Failed(
                "the PKCS#12 file holds no key and certificate".into(),
            ));
        };
        if !cert.public_key().map_err(failed)?.public_eq(&key) {
            return Err(SignError::Failed(
                "the key does not belong to the certificate".into(),
            ));
        }
        let chain = parsed
            .ca
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        Ok(Self { key, cert, chain })
    }

    /// Adds intermediates (PEM) to send with the signature.
    pub fn with_chain(mut self, pem: &[u8]) -> Result<Self, SignError> {
        self.chain
            .extend(X509::stack_from_pem(pem).map_err(failed)?);
        Ok(self)
    }
}

const ID_DATA: &str = "1.2.840.113549.1.7.1";
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";

fn oid(s: &str) -> Result<ObjectIdentifier, SignError> {
    ObjectIdentifier::new(s).map_err(failed)
}

fn attribute(oid_text: &str, value_der: &[u8]) -> Result<Attribute, SignError> {
    Ok(Attribute {
        oid: oid(oid_text)?,
        values: SetOfVec::try_from(vec![Any::from_der(value_der).map_err(failed)?])
            .map_err(failed)?,
    })
}

/// A detached CMS SignedData over the concatenation of `parts`, CAdES-BES style (no signing
/// time), SHA-256.
pub fn cades_detached(identity: &SigningIdentity, parts: &[&[u8]]) -> Result<Vec<u8>, SignError> {
    cades_detached_stamped(identity, parts, None)
}

/// As [`cades_detached`], with an RFC 3161 signature timestamp from the TSA at `tsa` (an
/// unsigned id-aa-signatureTimeStampToken attribute over the signature value) when given.
pub fn cades_detached_stamped(
    identity: &SigningIdentity,
    parts: &[&[u8]],
    tsa: Option<&str>,
) -> Result<Vec<u8>, SignError> {
    let mut hasher = openssl::hash::Hasher::new(MessageDigest::sha256()).map_err(failed)?;
    for p in parts {
        hasher.update(p).map_err(failed)?;
    }
    let digest = hasher.finish().map_err(failed)?;
    let cert_der = identity.cert.to_der().map_err(failed)?;
    let cert_hash = hash(MessageDigest::sha256(), &cert_der).map_err(failed)?;
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, ESSCertIDv2 with the
    // default hash (SHA-256) and no issuerSerial: 30 L 30 L 30 L 04 20 <hash> (RFC 5035).
    let mut ess = vec![0x04, 0x20];
    ess.extend_from_slice(&cert_hash);
    let wrap = |inner: Vec<u8>| -> Vec<u8> {
        let mut v = vec![0x30, inner.len() as u8];
        v.extend(inner);
        v
    };
    let signing_certificate = wrap(wrap(wrap(ess)));
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(
            "1.2.840.113549.1.9.3",
            &oid(ID_DATA)?.to_der().map_err(failed)?,
        )?,
        attribute(
            "1.2.840.113549.1.9.4",
            &OctetString::new(digest.to_vec())
                .map_err(failed)?
                .to_der()
                .map_err(failed)?,
        )?,
        attribute("1.2.840.113549.1.9.16.2.47", &signing_certificate)?,
    ])
    .map_err(failed)?;
    let to_sign = signed_attrs.to_der().map_err(failed)?;
    let (signature, sig_alg) = match identity.key.id() {
        Id::RSA => {
            let mut s = Signer::new(MessageDigest::sha256(), &identity.key).map_err(failed)?;
            s.update(&to_sign).map_err(failed)?;
            (s.sign_to_vec().map_err(failed)?, "1.2.840.113549.1.1.11")
        }
        Id::EC => {
            let mut s = Signer::new(MessageDigest::sha256(), &identity.key).map_err(failed)?;
            s.update(&to_sign).map_err(failed)?;
            (s.sign_to_vec().map_err(failed)?, "1.2.840.10045.4.3.2")
        }
        other => return Err(SignError::Failed(format!("unsupported key type {other:?}"))),
    };
    let certificate = Certificate::from_der(&cert_der).map_err(failed)?;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate.issuer.clone(),
            serial_number: certificate.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: AlgorithmIdentifierOwned {
            oid: oid(SHA256)?,
            parameters: None,
        },
        signed_attrs: Some(signed_attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: oid(sig_alg)?,
            parameters: (sig_alg == "1.2.840.113549.1.1.11")
                .then(|| Any::from_der(&[0x05, 0x00]).expect("NULL")),
        },
        unsigned_attrs: match tsa {
            Some(url) => Some(
                SetOfVec::try_from(vec![attribute(
                    "1.2.840.113549.1.9.16.2.14",
                    &super::tsa::token(url, &signature)?,
                )?])
                .map_err(failed)?,
            ),
            None => None,
        },
        signature: OctetString::new(signature).map_err(failed)?,
    };
    let mut certs = vec![CertificateChoices::Certificate(certificate)];
    for c in &identity.chain {
        certs.push(CertificateChoices::Certificate(
            Certificate::from_der(&c.to_der().map_err(failed)?).map_err(failed)?,
        ));
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
            oid: oid(SHA256)?,
            parameters: None,
        }])
        .map_err(failed)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid(ID_DATA)?,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certs).map_err(failed)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(failed)?),
    };
    ContentInfo {
        content_type: oid(SIGNED_DATA)?,
        content: Any::encode_from(&signed_data).map_err(failed)?,
    }
    .to_der()
    .map_err(failed)
}

/// Bytes reserved for the CMS signature in /Contents (hex-encoded in the file: twice this).
const CONTENTS_RESERVED: usize = 16 * 1024;
/// The /ByteRange placeholder: wide enough for files up to 10 GB, rewritten in place.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

/// A PDF date with the offset, e.g. `D:20261128071200+07'00'` (ISO 32000-1 §7.9.4).
pub fn pdf_date(t: time::OffsetDateTime) -> String {
    let o = t.offset();
    let (h, m) = (o.whole_hours(), o.minutes_past_hour());
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{}{:02}'{:02}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        if h < 0 || m < 0 { '-' } else { '+' },
        h.abs(),
        m.abs()
    )
}

/// Signs a PDF (PAdES B-B, SubFilter ETSI.CAdES.detached) as an incremental update: an
/// invisible signature field `field` on the first page, the claimed time `time` in /M.
pub fn sign_pdf(
    input: &[u8],
    identity: &SigningIdentity,
    time: time::OffsetDateTime,
    field: &str,
) -> Result<Vec<u8>, SignError> {
    sign_pdf_stamped(input, identity, time, field, None)
}

/// As [`sign_pdf`]; with `tsa`, PAdES B-T: the CMS carries an RFC 3161 signature timestamp from
/// the time-stamping authority at that URL.
pub fn sign_pdf_stamped(
    input: &[u8],
    identity: &SigningIdentity,
    time: time::OffsetDateTime,
    field: &str,
    tsa: Option<&str>,
) -> Result<Vec<u8>, SignError> {
    use lopdf::{Dictionary, IncrementalDocument, Object, StringFormat, dictionary};
    let pdf = |e: lopdf::Error| SignError::Pdf(e.to_string());
    crate::pdf::within_budget(input).map_err(|e| SignError::Pdf(e.to_string()))?;
    // lopdf must never take the process down, even on a document we were asked to sign.
    let mut inc: IncrementalDocument =
        std::panic::catch_unwind(|| -> Result<IncrementalDocument, lopdf::Error> {
            input.try_into()
        })
        .map_err(|_| SignError::Pdf("the parser failed on this file".into()))?
        .map_err(pdf)?;
    let prev = inc.get_prev_documents();
    let page = *prev
        .get_pages()
        .values()
        .next()
        .ok_or_else(|| SignError::Pdf("the document has no page".into()))?;
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(pdf)?;
    let acroform = prev.catalog().map_err(pdf)?.get(b"AcroForm").ok().cloned();
    let annots = prev
        .get_object(page)
        .and_then(Object::as_dict)
        .map_err(pdf)?
        .get(b"Annots")
        .ok()
        .cloned();
    // Two fields with one name would be one field with two signatures to every validator.
    let form_dict = match &acroform {
        Some(Object::Reference(id)) => prev.get_dictionary(*id).ok(),
        Some(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let taken = form_dict
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|f| f.as_array().ok())
        .into_iter()
        .flatten()
        .filter_map(|f| match f {
            Object::Reference(id) => prev.get_dictionary(*id).ok(),
            Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .filter_map(|f| f.get(b"T").ok().and_then(|t| t.as_str().ok()))
        .any(|t| t == field.as_bytes());
    if taken {
        return Err(SignError::Pdf(format!(
            "the document already has a field named {field:?}"
        )));
    }

    let sig = inc.new_document.add_object(dictionary! {
        "Type" => "Sig",
        "Filter" => "Adobe.PPKLite",
        "SubFilter" => "ETSI.CAdES.detached",
        "ByteRange" => vec![0.into(), RANGE_PLACEHOLDER.into(), RANGE_PLACEHOLDER.into(), RANGE_PLACEHOLDER.into()],
        // Reserved as a literal string of ASCII zeros, the same width as the hex string it
        // becomes below: lopdf writes a literal in one call, a hex string a byte at a time
        // through the formatter (half the signing time of a small document).
        "Contents" => Object::String(vec![b'0'; CONTENTS_RESERVED * 2], StringFormat::Literal),
        "M" => Object::string_literal(pdf_date(time)),
    });
    let widget = inc.new_document.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => Object::string_literal(field),
        "V" => Object::Reference(sig),
        "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        "F" => 132,
        "P" => Object::Reference(page),
    });
    // The page lists the widget among its annotations.
    match annots {
        Some(Object::Reference(array_id)) => {
            inc.opt_clone_object_to_new_document(array_id)
                .map_err(pdf)?;
            if let Ok(Object::Array(a)) = inc.new_document.get_object_mut(array_id) {
                a.push(Object::Reference(widget));
            }
        }
        other => {
            let mut list = match other {
                Some(Object::Array(a)) => a,
                _ => Vec::new(),
            };
            list.push(Object::Reference(widget));
            inc.opt_clone_object_to_new_document(page).map_err(pdf)?;
            inc.new_document
                .get_object_mut(page)
                .and_then(Object::as_dict_mut)
                .map_err(pdf)?
                .set("Annots", list);
        }
    }
    // The form lists the field; SigFlags 3: signatures exist, append only.
    let add_field = |form: &mut Dictionary| {
        let mut fields = match form.get(b"Fields") {
            Ok(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        fields.push(Object::Reference(widget));
        form.set("Fields", fields);
        form.set("SigFlags", 3);
    };
    match acroform {
        Some(Object::Reference(form_id)) => {
            inc.opt_clone_object_to_new_document(form_id).map_err(pdf)?;
            add_field(
                inc.new_document
                    .get_object_mut(form_id)
                    .and_then(Object::as_dict_mut)
                    .map_err(pdf)?,
            );
        }
        other => {
            let mut form = match other {
                Some(Object::Dictionary(d)) => d,
                _ => Dictionary::new(),
            };
            add_field(&mut form);
            inc.opt_clone_object_to_new_document(catalog_id)
                .map_err(pdf)?;
            inc.new_document
                .get_object_mut(catalog_id)
                .and_then(Object::as_dict_mut)
                .map_err(pdf)?
                .set("AcroForm", form);
        }
    }
    let mut out = Vec::new();
    inc.save_to(&mut out)
        .map_err(|e| SignError::Pdf(e.to_string()))?;

    // Fix the byte range, then sign everything but the /Contents hex string.
    let appended = input.len().min(out.len());
    let find = |needle: &[u8], from: usize| -> Option<usize> {
        out[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let placeholder = RANGE_PLACEHOLDER.to_string();
    let first = find(placeholder.as_bytes(), appended)
        .ok_or_else(|| SignError::Pdf("no /ByteRange written".into()))?;
    let open = out[..first]
        .iter()
        .rposition(|b| *b == b'[')
        .ok_or_else(|| SignError::Pdf("malformed /ByteRange".into()))?;
    let close = find(b"]", first).ok_or_else(|| SignError::Pdf("malformed /ByteRange".into()))?;
    let mut zeros = vec![b'('];
    zeros.extend(std::iter::repeat_n(b'0', CONTENTS_RESERVED * 2));
    zeros.push(b')');
    let a = find(&zeros, appended).ok_or_else(|| SignError::Pdf("no /Contents written".into()))?;
    let b = a + zeros.len();
    out[a] = b'<';
    out[b - 1] = b'>';
    let range = format!("[0 {a} {b} {}]", out.len() - b);
    let width = close + 1 - open;
    if range.len() > width {
        return Err(SignError::Pdf("the /ByteRange does not fit".into()));
    }
    out[open..=close].copy_from_slice(format!("{range:<width$}").as_bytes());
    let cms = cades_detached_stamped(identity, &[&out[..a], &out[b..]], tsa)?;
    if cms.len() > CONTENTS_RESERVED {
        return Err(SignError::Pdf(
            "the signature is larger than the space reserved".into(),
        ));
    }
    let hex = hex::encode(&cms);
    out[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}
