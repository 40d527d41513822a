//! CMS/PKCS#7 SignedData verification (RFC 5652, with the CAdES/ESS attributes of RFC 5035):
//! the message digest over exactly the signed content, the content-type and signing-certificate
//! bindings, the signature value, the signer's key usage, and the signer's certification path at
//! the signing time.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::{Decode, Encode};
use openssl::hash::{MessageDigest, hash};
use x509_parser::prelude::FromDer;

use crate::pki::cert::{Cert, key_usage, tlv};
use crate::pki::identity::identity;
use crate::pki::name::Name;
use crate::pki::signed_data::{self, WorkingKey};
use crate::pki::{PathError, Store, ValidationParams, validate};
use crate::timestamp::Timestamp;

use super::report::{Report, SignatureReport, SubIndication};
use super::{InputError, VerifyOptions};

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const SIGNING_CERTIFICATE: &str = "1.2.840.113549.1.9.16.2.12";
const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";

/// Extended key usages that allow signing documents, when a certificate restricts them:
/// any, emailProtection, Microsoft document signing, Adobe PDF signing, id-kp-documentSigning.
const SIGNING_EKUS: &[&str] = &[
    "2.5.29.37.0",
    "1.3.6.1.5.5.7.3.4",
    "1.3.6.1.4.1.311.10.3.12",
    "1.2.840.113583.1.1.5",
    "1.3.6.1.5.5.7.3.36",
];

/// The digest named by a digest algorithm OID, if accepted.
fn digest(oid: &str, allow_sha1: bool) -> Option<MessageDigest> {
    Some(match oid {
        "2.16.840.1.101.3.4.2.1" => MessageDigest::sha256(),
        "2.16.840.1.101.3.4.2.2" => MessageDigest::sha384(),
        "2.16.840.1.101.3.4.2.3" => MessageDigest::sha512(),
        "2.16.840.1.101.3.4.2.4" => MessageDigest::sha224(),
        "1.3.14.3.2.26" if allow_sha1 => MessageDigest::sha1(),
        _ => return None,
    })
}

/// The signature algorithm to verify with: SignerInfo often names only the key type
/// (rsaEncryption, ecPublicKey), leaving the hash to the digest algorithm (RFC 5754).
fn signature_oid(sig_alg: &str, digest_alg: &str) -> String {
    let pick = |sha1: &str, sha224: &str, sha256: &str, sha384: &str, sha512: &str| {
        match digest_alg {
            "1.3.14.3.2.26" => sha1,
            "2.16.840.1.101.3.4.2.4" => sha224,
            "2.16.840.1.101.3.4.2.2" => sha384,
            "2.16.840.1.101.3.4.2.3" => sha512,
            _ => sha256,
        }
        .to_owned()
    };
    match sig_alg {
        "1.2.840.113549.1.1.1" => pick(
            "1.2.840.113549.1.1.5",
            "1.2.840.113549.1.1.14",
            "1.2.840.113549.1.1.11",
            "1.2.840.113549.1.1.12",
            "1.2.840.113549.1.1.13",
        ),
        "1.2.840.10045.2.1" => pick(
            "1.2.840.10045.4.1",
            "1.2.840.10045.4.3.1",
            "1.2.840.10045.4.3.2",
            "1.2.840.10045.4.3.3",
            "1.2.840.10045.4.3.4",
        ),
        other => other.to_owned(),
    }
}

/// The signed content, as bytes, or as digests computed beforehand (keyed by digest algorithm
/// OID) when the content is large and already hashed while it was stored.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// The bytes.
    Bytes(&'a [u8]),
    /// The bytes, in consecutive parts (a PDF's byte ranges), hashed without copying.
    Parts(&'a [&'a [u8]]),
    /// Digests by algorithm OID.
    Digests(&'a std::collections::HashMap<String, Vec<u8>>),
}

fn der_of(p7s: &[u8]) -> Vec<u8> {
    if String::from_utf8_lossy(&p7s[..p7s.len().min(64)]).contains("-----BEGIN CMS") {
        crate::pki::pem_or_der(p7s, "CMS")
    } else {
        crate::pki::pem_or_der(p7s, "PKCS7")
    }
}

/// The digest algorithms (OIDs) a signature's signers use: what to hash the content with
/// before calling [`verify`] with [`Content::Digests`].
pub fn digest_algorithms(p7s: &[u8]) -> Result<Vec<String>, InputError> {
    let ci = parse_content_info(&der_of(p7s))?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| InputError::NotCms(e.to_string()))?;
    let mut out: Vec<String> = sd
        .signer_infos
        .0
        .iter()
        .map(|si| si.digest_alg.oid.to_string())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The hash function of a digest algorithm OID, whatever the policy (for computing digests
/// ahead of verification; the policy is applied in [`verify`]).
pub fn message_digest(oid: &str) -> Option<MessageDigest> {
    digest(oid, true)
}

pub(crate) fn parse_content_info(der: &[u8]) -> Result<ContentInfo, InputError> {
    match ContentInfo::from_der(der) {
        Ok(ci) => Ok(ci),
        // BER (indefinite lengths, unsorted sets) from some signers: let OpenSSL re-encode it.
        Err(first) => {
            let cms = openssl::cms::CmsContentInfo::from_der(der)
                .map_err(|_| InputError::NotCms(first.to_string()))?;
            let again = cms
                .to_der()
                .map_err(|e| InputError::NotCms(e.to_string()))?;
            ContentInfo::from_der(&again).map_err(|e| InputError::NotCms(e.to_string()))
        }
    }
}

/// Verifies a CMS SignedData. `detached` is the signed file when the signature does not
/// encapsulate it.
pub fn verify(
    p7s: &[u8],
    detached: Option<Content<'_>>,
    options: &VerifyOptions,
) -> Result<Report, InputError> {
    verify_claimed(p7s, detached, options, None)
}

/// [`verify`], with a signing time claimed outside the CMS (a PDF signature's /M) used when the
/// signature has no signing-time attribute.
pub fn verify_claimed(
    p7s: &[u8],
    detached: Option<Content<'_>>,
    options: &VerifyOptions,
    claimed_elsewhere: Option<i64>,
) -> Result<Report, InputError> {
    let ci = parse_content_info(&der_of(p7s))?;
    if ci.content_type.to_string() != SIGNED_DATA {
        return Err(InputError::NotCms(format!(
            "content type {} is not signedData",
            ci.content_type
        )));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| InputError::NotCms(e.to_string()))?;
    let encapsulated = sd
        .encap_content_info
        .econtent
        .as_ref()
        .map(|any| any.value().to_vec());
    let content: Content<'_> = match (&encapsulated, detached) {
        (Some(c), _) => Content::Bytes(c),
        (None, Some(d)) => d,
        (None, None) => return Err(InputError::MissingContent),
    };
    let econtent_type = sd.encap_content_info.econtent_type.to_string();
    let embedded: Vec<Cert> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => {
                c.to_der().ok().and_then(|d| Cert::parse(&d).ok())
            }
            _ => None,
        })
        .collect();
    if sd.signer_infos.0.is_empty() {
        return Err(InputError::NoSignature);
    }
    let mut store = options.store.clone();
    // The signature's own certificates first: they are what the signer meant.
    let supplied = std::mem::take(&mut store.certs);
    store.certs = embedded.iter().cloned().chain(supplied).collect();
    let reports = sd
        .signer_infos
        .0
        .iter()
        .enumerate()
        .map(|(i, si)| {
            verify_signer(
                i,
                si,
                &content,
                &econtent_type,
                &store,
                options,
                claimed_elsewhere,
                Purpose::Document,
            )
        })
        .collect();
    Ok(Report::new("CMS", reports))
}

/// The signer's certificate: among those the identifier matches (a key may have several
/// certificates), the one the ESS signing-certificate attribute names, else the first.
fn find_signer<'a>(si: &SignerInfo, certs: &'a [Cert]) -> Option<&'a Cert> {
    let candidates: Vec<&Cert> = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            let issuer_der = isn.issuer.to_der().ok()?;
            let (_, issuer) = x509_parser::x509::X509Name::from_der(&issuer_der).ok()?;
            let issuer = Name::from_x509(&issuer);
            let serial = isn.serial_number.as_bytes();
            certs
                .iter()
                .filter(|c| c.issuer == issuer && c.serial == serial)
                .collect()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            let ski = ski.0.as_bytes();
            certs
                .iter()
                .filter(|c| c.ski.as_deref() == Some(ski))
                .collect()
        }
    };
    if let Some((md, expected)) = signing_certificate_hash(si)
        && let Some(c) = candidates
            .iter()
            .find(|c| hash(md, &c.der).map(|h| h.to_vec()).ok().as_ref() == Some(&expected))
    {
        return Some(c);
    }
    candidates.first().copied()
}

fn attribute<'a>(si: &'a SignerInfo, oid: &str) -> Option<&'a der::Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid.to_string() == oid)
        .and_then(|a| a.values.iter().next())
}

/// The signing time attribute as Unix seconds.
fn signing_time(si: &SignerInfo) -> Option<i64> {
    let any = attribute(si, SIGNING_TIME)?;
    let der = any.to_der().ok()?;
    let t = x509_cert::time::Time::from_der(&der).ok()?;
    i64::try_from(t.to_unix_duration().as_secs()).ok()
}

/// The certificate hash in an ESS signing-certificate(-v2) attribute, with its digest.
fn signing_certificate_hash(si: &SignerInfo) -> Option<(MessageDigest, Vec<u8>)> {
    let (v2, any) = match attribute(si, SIGNING_CERTIFICATE_V2) {
        Some(a) => (true, a),
        None => (false, attribute(si, SIGNING_CERTIFICATE)?),
    };
    let der = any.to_der().ok()?;
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), ... }
    let (_, outer, _) = tlv(&der)?;
    let (_, certs, _) = tlv(outer)?;
    let (_, first, _) = tlv(certs)?;
    let (tag, value, rest) = tlv(first)?;
    let mut md = if v2 {
        MessageDigest::sha256()
    } else {
        MessageDigest::sha1()
    };
    let hash_bytes = if tag == 0x30 {
        // ESSCertIDv2 with an explicit hashAlgorithm.
        let (_, oid, _) = tlv(value)?;
        md = match oid {
            [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01] => MessageDigest::sha256(),
            [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02] => MessageDigest::sha384(),
            [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03] => MessageDigest::sha512(),
            _ => return None,
        };
        let (t, h, _) = tlv(rest)?;
        (t == 0x04).then(|| h.to_vec())?
    } else if tag == 0x04 {
        value.to_vec()
    } else {
        return None;
    };
    Some((md, hash_bytes))
}

const SIGNATURE_TIMESTAMP: &str = "1.2.840.113549.1.9.16.2.14";
const TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

/// The genTime of a valid RFC 3161 signature timestamp on this signer, `None` when there is no
/// timestamp, `Some(Err)` when there is one that does not hold.
fn signature_timestamp(
    si: &SignerInfo,
    store: &Store,
    options: &VerifyOptions,
) -> Option<Result<i64, String>> {
    let any = si
        .unsigned_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid.to_string() == SIGNATURE_TIMESTAMP)
        .and_then(|a| a.values.iter().next())?;
    Some(check_timestamp(
        any,
        si.signature.as_bytes(),
        store,
        options,
    ))
}

fn check_timestamp(
    any: &der::Any,
    signature_value: &[u8],
    store: &Store,
    options: &VerifyOptions,
) -> Result<i64, String> {
    let der = any.to_der().map_err(|e| e.to_string())?;
    let (sd, tst) = super::tsa::unwrap_token(&der)?;
    let info = super::tsa::TstInfo::parse(&tst)?;
    let (hashed, gen_time) = (info.hashed, info.gen_time);
    let oid = der::asn1::ObjectIdentifier::from_bytes(info.imprint_algorithm)
        .map_err(|_| "malformed imprint algorithm")?
        .to_string();
    let md =
        digest(&oid, options.algorithms.allow_sha1).ok_or("the imprint's hash is not accepted")?;
    if hash(md, signature_value)
        .map_err(|e| e.to_string())?
        .to_vec()
        != hashed
    {
        return Err("the timestamp is over another signature value".into());
    }
    let generated = generalized_time(gen_time).ok_or("malformed genTime")?;
    // The TSA's own signature and certificate, valid at genTime.
    let mut tsa_store = store.clone();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        if let CertificateChoices::Certificate(c) = c
            && let Some(cert) = c.to_der().ok().and_then(|d| Cert::parse(&d).ok())
        {
            tsa_store.certs.insert(0, cert);
        }
    }
    let mut tsa_options = options.clone();
    tsa_options.at = Some(generated);
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or("the token has no signer")?;
    let report = verify_signer(
        0,
        si,
        &Content::Bytes(&tst),
        super::tsa::TST_INFO,
        &tsa_store,
        &tsa_options,
        None,
        Purpose::Timestamp,
    );
    if report.indication != super::Indication::TotalPassed {
        return Err(format!(
            "the TSA's signature does not hold: {}",
            report.errors.join("; ")
        ));
    }
    Ok(generated)
}

/// GeneralizedTime `YYYYMMDDHHMMSS[.f*]Z` as Unix seconds.
fn generalized_time(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_suffix('Z')?;
    let whole = text.split('.').next()?;
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<u32>().ok();
    let date = time::Date::from_calendar_date(
        i32::try_from(n(0..4)?).ok()?,
        time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let t = date
        .with_hms(
            u8::try_from(n(8..10)?).ok()?,
            u8::try_from(n(10..12)?).ok()?,
            u8::try_from(n(12..14)?).ok()?,
        )
        .ok()?;
    Some(t.assume_utc().unix_timestamp())
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| Timestamp::from(t).to_string())
        .unwrap_or_default()
}

fn path_sub_indication(e: &PathError) -> SubIndication {
    match e {
        PathError::NoPath => SubIndication::NoCertificateChainFound,
        PathError::Expired(_) => SubIndication::OutOfBoundsNoPoe,
        PathError::NotYetValid(_) => SubIndication::NotYetValid,
        PathError::Revoked(..) => SubIndication::Revoked,
        PathError::RevocationUnknown(..) | PathError::RevocationStale(_) => SubIndication::TryLater,
        _ => SubIndication::ChainConstraintsFailure,
    }
}

/// What a signer signs: a document, or (a TSA) a timestamp token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Document,
    Timestamp,
}

#[allow(clippy::too_many_arguments)]
fn verify_signer(
    index: usize,
    si: &SignerInfo,
    content: &Content<'_>,
    econtent_type: &str,
    store: &Store,
    options: &VerifyOptions,
    claimed_elsewhere: Option<i64>,
    purpose: Purpose,
) -> SignatureReport {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let digest_oid = si.digest_alg.oid.to_string();
    let sig_oid = signature_oid(&si.signature_algorithm.oid.to_string(), &digest_oid);
    let claimed = signing_time(si).or(claimed_elsewhere);
    // A signature timestamp (RFC 3161 token over the signature value) proves the time.
    let mut timestamp_problem = None;
    let stamped = if purpose == Purpose::Document {
        match signature_timestamp(si, store, options) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                timestamp_problem = Some(e);
                None
            }
            None => None,
        }
    } else {
        None
    };
    let signing = stamped.or(claimed);
    let validation_time = options.at.or(signing).unwrap_or(now);
    let mut r = SignatureReport {
        index,
        indication: super::Indication::TotalPassed,
        sub_indication: None,
        signer: None,
        signing_time: signing.map(rfc3339),
        signing_time_source: if stamped.is_some() {
            "timestamp"
        } else if claimed.is_some() {
            "claimed"
        } else {
            "none"
        },
        validation_time: rfc3339(validation_time),
        digest_algorithm: digest_oid.clone(),
        signature_algorithm: sig_oid.clone(),
        chain: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        revocation_evidence: Vec::new(),
        byte_range: None,
        covers_whole_file: None,
        modifications: None,
    };
    let fail = |mut r: SignatureReport, sub: SubIndication, why: String| {
        r.indication = sub.indication();
        r.sub_indication = Some(sub);
        r.errors.push(why);
        r
    };

    let all_certs: Vec<Cert> = store
        .certs
        .iter()
        .chain(store.anchors.iter())
        .cloned()
        .collect();
    let Some(signer) = find_signer(si, &all_certs).cloned() else {
        return fail(
            r,
            SubIndication::NoSigningCertificateFound,
            "the signer's certificate is neither in the signature nor supplied".into(),
        );
    };
    r.signer = Some(identity(&signer));

    let Some(md) = digest(&digest_oid, options.algorithms.allow_sha1) else {
        return fail(
            r,
            SubIndication::CryptoConstraintsFailureNoPoe,
            format!("digest algorithm {digest_oid} is not accepted (SHA-1 and MD5 are refused)"),
        );
    };
    let computed: Vec<u8> = match content {
        Content::Parts(parts) => {
            let hashed = openssl::hash::Hasher::new(md).and_then(|mut h| {
                for p in parts.iter() {
                    h.update(p)?;
                }
                h.finish()
            });
            match hashed {
                Ok(h) => h.to_vec(),
                Err(_) => {
                    return fail(
                        r,
                        SubIndication::FormatFailure,
                        "the content could not be hashed".into(),
                    );
                }
            }
        }
        Content::Bytes(b) => match hash(md, b) {
            Ok(h) => h.to_vec(),
            Err(_) => {
                return fail(
                    r,
                    SubIndication::FormatFailure,
                    "the content could not be hashed".into(),
                );
            }
        },
        Content::Digests(d) => match d.get(&digest_oid) {
            Some(h) => h.clone(),
            None => {
                return fail(
                    r,
                    SubIndication::FormatFailure,
                    format!("no {digest_oid} digest of the content was computed"),
                );
            }
        },
    };

    let signed_bytes: Vec<u8> = match &si.signed_attrs {
        Some(attrs) => {
            let Some(claimed_digest) = attribute(si, MESSAGE_DIGEST)
                .and_then(|a| der::asn1::OctetString::from_der(&a.to_der().ok()?).ok())
            else {
                return fail(
                    r,
                    SubIndication::FormatFailure,
                    "the message-digest attribute is missing".into(),
                );
            };
            if claimed_digest.as_bytes() != &computed[..] {
                return fail(
                    r,
                    SubIndication::HashFailure,
                    "the signed data's digest differs from the one signed: the file was changed"
                        .into(),
                );
            }
            let content_type_ok = attribute(si, CONTENT_TYPE)
                .and_then(|a| der::asn1::ObjectIdentifier::from_der(&a.to_der().ok()?).ok())
                .is_some_and(|oid| oid.to_string() == econtent_type);
            if !content_type_ok {
                return fail(
                    r,
                    SubIndication::FormatFailure,
                    "the content-type attribute is missing or differs from the content".into(),
                );
            }
            match signing_certificate_hash(si) {
                Some((md, expected)) => {
                    if hash(md, &signer.der).map(|h| h.to_vec()).ok() != Some(expected) {
                        return fail(r, SubIndication::SigConstraintsFailure, "the signing-certificate attribute names another certificate".into());
                    }
                }
                None => r.warnings.push(
                    "no signing-certificate(-v2) attribute binds the signer's certificate (CAdES requires one)".into(),
                ),
            }
            match attrs.to_der() {
                Ok(b) => b,
                Err(e) => {
                    return fail(
                        r,
                        SubIndication::FormatFailure,
                        format!("signed attributes: {e}"),
                    );
                }
            }
        }
        None => match content {
            Content::Bytes(b) => b.to_vec(),
            Content::Parts(parts) => parts.concat(),
            Content::Digests(_) => {
                return fail(
                    r,
                    SubIndication::FormatFailure,
                    "a signature without signed attributes needs the whole content".into(),
                );
            }
        },
    };

    let key = WorkingKey::new(
        &signer.spki,
        &signer.key_alg,
        signer.key_params_absent,
        None,
    );
    let params = si
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok());
    if let Err(e) = signed_data::verify(
        &signed_bytes,
        &sig_oid,
        params.as_deref(),
        si.signature.as_bytes(),
        &key,
        options.algorithms,
    ) {
        let sub = match e {
            signed_data::SignatureError::Algorithm(_) => {
                SubIndication::CryptoConstraintsFailureNoPoe
            }
            _ => SubIndication::SigCryptoFailure,
        };
        return fail(r, sub, format!("signature value: {e}"));
    }

    if !(signer.allows_usage(key_usage::DIGITAL_SIGNATURE)
        || signer.allows_usage(key_usage::NON_REPUDIATION))
    {
        return fail(
            r,
            SubIndication::SigConstraintsFailure,
            "the signer's certificate does not allow digital signatures (key usage)".into(),
        );
    }
    let eku_ok = match (purpose, &signer.ext_key_usage) {
        (Purpose::Document, None) => true,
        (Purpose::Document, Some(ekus)) => ekus.iter().any(|e| SIGNING_EKUS.contains(&e.as_str())),
        // RFC 3161 §2.3: a TSA's certificate has the single EKU id-kp-timeStamping.
        (Purpose::Timestamp, Some(ekus)) => ekus.iter().any(|e| e == TIME_STAMPING),
        (Purpose::Timestamp, None) => false,
    };
    if !eku_ok {
        return fail(
            r,
            SubIndication::SigConstraintsFailure,
            "the signer's certificate is restricted to other purposes (extended key usage)".into(),
        );
    }

    if let Some(p) = timestamp_problem {
        r.warnings.push(format!(
            "the signature timestamp is not valid and was ignored: {p}"
        ));
    }
    if options.at.is_none() && stamped.is_none() && purpose == Purpose::Document {
        if claimed.is_some() {
            r.warnings.push(
                "validated at the signing time the signer claims; no timestamp proves it".into(),
            );
        } else {
            r.warnings
                .push("no signing time: validated at the current time".into());
        }
    }
    let params = ValidationParams {
        time: validation_time,
        user_initial_policy_set: Vec::new(),
        initial_explicit_policy: false,
        initial_policy_mapping_inhibit: false,
        initial_any_policy_inhibit: false,
        revocation: options.revocation,
        algorithms: options.algorithms,
        ocsp: options.ocsp,
    };
    match validate(&signer, store, &params) {
        Ok(path) => {
            r.chain = path.certs.iter().map(identity).collect();
            r.revocation_evidence = path.evidence;
            r.warnings.extend(path.warnings);
            r
        }
        Err(e) => {
            let sub = path_sub_indication(&e);
            fail(r, sub, e.to_string())
        }
    }
}
