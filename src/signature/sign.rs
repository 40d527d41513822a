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
    pub(super) key: PKey<Private>,
    pub(super) cert: X509,
    pub(super) chain: Vec<X509>,
    /// The certificates as every signature carries them, decoded on first use.
    carried: std::sync::OnceLock<Result<Carried, String>>,
}

/// What every signature of an identity repeats: its certificate and chain decoded for the CMS
/// structure, and the certificate's SHA-256 for signing-certificate-v2.
struct Carried {
    cert: Certificate,
    chain: Vec<Certificate>,
    cert_sha256: Vec<u8>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity").finish_non_exhaustive()
    }
}

impl SigningIdentity {
    /// An identity from parts already checked to belong together.
    pub(super) fn from_parts(key: PKey<Private>, cert: X509, chain: Vec<X509>) -> Self {
        Self {
            key,
            cert,
            chain,
            carried: std::sync::OnceLock::new(),
        }
    }

    fn carried(&self) -> Result<&Carried, SignError> {
        self.carried
            .get_or_init(|| {
                let decode = |c: &X509| -> Result<Certificate, String> {
                    let der = c.to_der().map_err(|e| e.to_string())?;
                    Certificate::from_der(&der).map_err(|e| e.to_string())
                };
                let der = self.cert.to_der().map_err(|e| e.to_string())?;
                Ok(Carried {
                    cert: decode(&self.cert)?,
                    chain: self.chain.iter().map(decode).collect::<Result<_, _>>()?,
                    cert_sha256: hash(MessageDigest::sha256(), &der)
                        .map_err(|e| e.to_string())?
                        .to_vec(),
                })
            })
            .as_ref()
            .map_err(|e| SignError::Failed(format!("the signing certificate: {e}")))
    }

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
        Ok(Self::from_parts(key, cert, chain))
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
        Ok(Self::from_parts(key, cert, chain))
    }

    /// Loads an identity from where the configuration says it is: `key` is a PEM private key
    /// (with `cert`), a PKCS#12 file (certificate inside; `secret` is its passphrase), or an
    /// RFC 7512 `pkcs11:` URI (the key stays in the token; `secret` is the PIN, `cert`
    /// optional). `chain` adds intermediates (PEM). Errors name the file, never the secret.
    pub fn load(
        key: &str,
        cert: Option<&std::path::Path>,
        chain: Option<&std::path::Path>,
        secret: Option<&str>,
        pkcs11_module: Option<&std::path::Path>,
    ) -> Result<Self, SignError> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| SignError::Failed(format!("{}: {e}", p.display())))
        };
        let chain_pem = chain.map(read).transpose()?.unwrap_or_default();
        if super::pkcs11::is_pkcs11_uri(key) {
            let cert_pem = cert.map(read).transpose()?;
            return Self::from_pkcs11(key, pkcs11_module, secret, cert_pem.as_deref(), &chain_pem);
        }
        let key_path = std::path::Path::new(key);
        let key_bytes = read(key_path)?;
        let at = |e: SignError| SignError::Failed(format!("{}: {e}", key_path.display()));
        let identity = if key_bytes.starts_with(b"-----BEGIN") {
            let cert = cert.ok_or_else(|| {
                SignError::Failed(format!(
                    "{}: a PEM key needs its certificate (--cert)",
                    key_path.display()
                ))
            })?;
            Self::from_pem(&key_bytes, &read(cert)?, b"").map_err(at)?
        } else {
            Self::from_pkcs12(&key_bytes, secret.unwrap_or("")).map_err(at)?
        };
        if chain_pem.is_empty() {
            Ok(identity)
        } else {
            identity.with_chain(&chain_pem)
        }
    }

    /// The certificate's subject, as reports show it.
    pub fn subject(&self) -> String {
        self.cert
            .to_der()
            .ok()
            .and_then(|der| crate::pki::Cert::parse(&der).ok())
            .map(|c| c.subject.display().to_owned())
            .unwrap_or_default()
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
    let carried = identity.carried()?;
    let cert_hash = &carried.cert_sha256;
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, ESSCertIDv2 with the
    // default hash (SHA-256) and no issuerSerial: 30 L 30 L 30 L 04 20 <hash> (RFC 5035).
    let mut ess = vec![0x04, 0x20];
    ess.extend_from_slice(cert_hash);
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
    let certificate = carried.cert.clone();
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
    certs.extend(
        carried
            .chain
            .iter()
            .map(|c| CertificateChoices::Certificate(c.clone())),
    );
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

/// Bytes reserved for the CMS signature in /Contents (hex-encoded in the file: twice this):
/// the certificates it carries, 4 KiB for the rest (an RSA-4096 signature is 512 bytes, the
/// signed attributes and structure a few hundred), and 24 KiB more for a timestamp token with
/// its TSA's certificates. Signing fails cleanly should it not fit; reserving little keeps
/// the file small and signing fast (every reserved byte is written twice and scanned).
fn contents_reserved(identity: &SigningIdentity, timestamped: bool) -> usize {
    let certificates: usize = std::iter::once(&identity.cert)
        .chain(&identity.chain)
        .map(|c| c.to_der().map_or(4096, |der| der.len()))
        .sum();
    let reserved = certificates + 4096 + if timestamped { 24 * 1024 } else { 0 };
    reserved.next_multiple_of(1024)
}
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

/// Opens a PDF for an incremental update through the one structure check (`pdf::read`): a
/// truncated, damaged or encrypted document, or one beyond the parser's budgets, is refused
/// rather than signed, even one we were asked to sign.
pub fn open_incremental(input: &[u8]) -> Result<lopdf::IncrementalDocument, SignError> {
    let doc = crate::pdf::load(input).map_err(|e| SignError::Pdf(e.to_string()))?;
    doc.catalog()
        .map_err(|e| SignError::Pdf(format!("not a readable PDF: no document catalog: {e}")))?;
    Ok(lopdf::IncrementalDocument::create_from(input.to_vec(), doc))
}

/// The PAdES baseline level (ETSI EN 319 142-1 §6), written `B-B`, `B-T` or `B-LT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Level {
    /// B-B: the signature alone.
    BB,
    /// B-T: with an RFC 3161 signature timestamp.
    BT,
    /// B-LT: B-T plus the validation material (certificates, CRLs, OCSP) in the DSS.
    BLT,
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "B-B" => Ok(Self::BB),
            "B-T" => Ok(Self::BT),
            "B-LT" => Ok(Self::BLT),
            _ => Err(format!("unknown PAdES level {s:?} (B-B, B-T or B-LT)")),
        }
    }
}

impl TryFrom<String> for Level {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Level {
    /// The level to sign at: the one asked for, else B-T when a time-stamping authority is
    /// given and B-B without; from B-T up a time-stamping authority is required. (B-LT also
    /// validates the new signature: the caller supplies what it is validated against.) The one
    /// rule `motcua sign` and the issuing service share; `tsa_flag` names the setting in the
    /// message.
    pub fn choose(asked: Option<Level>, has_tsa: bool, tsa_flag: &str) -> Result<Self, SignError> {
        let level = match asked {
            Some(l) => l,
            None if has_tsa => Self::BT,
            None => Self::BB,
        };
        if level != Self::BB && !has_tsa {
            return Err(SignError::Failed(format!(
                "{} needs a time-stamping authority ({tsa_flag})",
                level.as_str()
            )));
        }
        Ok(level)
    }

    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BB => "B-B",
            Self::BT => "B-T",
            Self::BLT => "B-LT",
        }
    }
}

/// How to sign a PDF.
#[derive(Debug, Clone, Copy)]
pub struct PdfSignOptions<'a> {
    /// The claimed signing time, written to /M (and shown in a visible block).
    pub time: time::OffsetDateTime,
    /// The name of the new signature field.
    pub field: &'a str,
    /// The PAdES level.
    pub level: Level,
    /// The time-stamping authority (http:// URL), needed from B-T up.
    pub tsa: Option<&'a str>,
    /// What the signature is validated against before its material goes into the DSS (B-LT).
    pub validation: Option<&'a super::VerifyOptions>,
    /// A visible signature block; invisible when `None`.
    pub appearance: Option<&'a super::appearance::Appearance>,
}

impl<'a> PdfSignOptions<'a> {
    /// B-B, invisible, in the field `field`, claimed at `time`.
    pub fn new(time: time::OffsetDateTime, field: &'a str) -> Self {
        Self {
            time,
            field,
            level: Level::BB,
            tsa: None,
            validation: None,
            appearance: None,
        }
    }
}

/// Signs a PDF as an incremental update at the level `options` asks for. B-LT is the B-T
/// signature, validated now, then a second incremental update adding the DSS.
pub fn sign_pdf_with(
    input: &[u8],
    identity: &SigningIdentity,
    options: &PdfSignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    sign_incremental_with(open_incremental(input)?, identity, options)
}

/// [`sign_pdf_with`] on a document already parsed (or just written: see
/// `pdf::render::Rendered`), which saves parsing it again.
pub fn sign_incremental_with(
    input: lopdf::IncrementalDocument,
    identity: &SigningIdentity,
    options: &PdfSignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let tsa = match (options.level, options.tsa) {
        (Level::BB, _) => None,
        (_, Some(url)) => Some(url),
        (level, None) => {
            return Err(SignError::Failed(format!(
                "{} needs a time-stamping authority",
                level.as_str()
            )));
        }
    };
    let validation = match (options.level, options.validation) {
        (Level::BLT, None) => {
            return Err(SignError::Failed(
                "B-LT needs trust anchors to validate the signature against".into(),
            ));
        }
        (_, v) => v,
    };
    let signed = sign_revision(
        input,
        identity,
        options.time,
        options.field,
        tsa,
        options.appearance,
    )?;
    match (options.level, validation) {
        (Level::BLT, Some(v)) => super::ltv::add_dss(&signed, v),
        _ => Ok(signed),
    }
}

/// A page's /MediaBox (inherited from its parents when absent; A4 when nowhere).
fn media_box(doc: &lopdf::Document, page: lopdf::ObjectId) -> [f32; 4] {
    let mut node = doc.get_dictionary(page).ok();
    for _ in 0..32 {
        let Some(dict) = node else { break };
        if let Ok(lopdf::Object::Array(a)) = dict.get(b"MediaBox")
            && a.len() == 4
        {
            let v: Vec<f32> = a.iter().filter_map(|o| o.as_float().ok()).collect();
            if v.len() == 4 {
                return [v[0], v[1], v[2], v[3]];
            }
        }
        node = dict
            .get(b"Parent")
            .and_then(lopdf::Object::as_reference)
            .ok()
            .and_then(|id| doc.get_dictionary(id).ok());
    }
    [0.0, 0.0, 595.28, 841.89]
}

/// Signs a PDF (PAdES B-B, SubFilter ETSI.CAdES.detached) as an incremental update: an
/// invisible signature field `field` on the first page, the claimed time `time` in /M.
pub fn sign_pdf(
    input: &[u8],
    identity: &SigningIdentity,
    time: time::OffsetDateTime,
    field: &str,
) -> Result<Vec<u8>, SignError> {
    sign_revision(open_incremental(input)?, identity, time, field, None, None)
}

/// One signed revision: the signature field (with `appearance` when given), the CMS (with a
/// timestamp from `tsa` when given), as an incremental update. [`sign_pdf_with`] adds B-LT.
fn sign_revision(
    mut inc: lopdf::IncrementalDocument,
    identity: &SigningIdentity,
    time: time::OffsetDateTime,
    field: &str,
    tsa: Option<&str>,
    appearance: Option<&super::appearance::Appearance>,
) -> Result<Vec<u8>, SignError> {
    use lopdf::{Dictionary, Object, StringFormat, dictionary};
    let pdf = |e: lopdf::Error| SignError::Pdf(e.to_string());
    let input_len = inc.get_prev_documents_bytes().len();
    let prev = inc.get_prev_documents();
    let page_number = appearance.map_or(1, |a| a.page);
    let page = *prev
        .get_pages()
        .get(&(page_number as u32))
        .ok_or_else(|| SignError::Pdf(format!("the document has no page {page_number}")))?;
    let media_box = media_box(prev, page);
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

    let reserved = contents_reserved(identity, tsa.is_some());
    let sig = inc.new_document.add_object(dictionary! {
        "Type" => "Sig",
        "Filter" => "Adobe.PPKLite",
        "SubFilter" => "ETSI.CAdES.detached",
        "ByteRange" => vec![0.into(), RANGE_PLACEHOLDER.into(), RANGE_PLACEHOLDER.into(), RANGE_PLACEHOLDER.into()],
        // Reserved as a literal string of ASCII zeros, the same width as the hex string it
        // becomes below: lopdf writes a literal in one call, a hex string a byte at a time
        // through the formatter (half the signing time of a small document).
        "Contents" => Object::String(vec![b'0'; reserved * 2], StringFormat::Literal),
        "M" => Object::string_literal(pdf_date(time)),
    });
    let mut widget = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => Object::string_literal(field),
        "V" => Object::Reference(sig),
        "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        // Print, locked.
        "F" => 132,
        "P" => Object::Reference(page),
    };
    if let Some(a) = appearance {
        let rect = a.rect(media_box);
        let form = a.build(&mut inc.new_document, rect[2] - rect[0], rect[3] - rect[1])?;
        widget.set(
            "Rect",
            rect.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>(),
        );
        widget.set("AP", dictionary! { "N" => Object::Reference(form) });
    }
    let widget = inc.new_document.add_object(widget);
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
    let appended = input_len.min(out.len());
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
    zeros.extend(std::iter::repeat_n(b'0', reserved * 2));
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
    if cms.len() > reserved {
        return Err(SignError::Pdf(format!(
            "the signature ({} bytes) is larger than the {reserved} bytes reserved",
            cms.len()
        )));
    }
    hex::encode_to_slice(&cms, &mut out[a + 1..a + 1 + 2 * cms.len()])
        .map_err(|e| SignError::Pdf(e.to_string()))?;
    Ok(out)
}
