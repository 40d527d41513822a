//! OCSP (RFC 6960): asks the responder named in a certificate's authorityInfoAccess for its
//! status, with a nonce, and accepts the answer only when it is signed by the issuing CA or a
//! responder it delegated (EKU OCSPSigning) chaining to our trust anchors, is fresh, names this
//! certificate, and echoes the nonce. The request goes through `http_client` (http:// as OCSP
//! responders are, or https://), with its time and size budgets.

use std::time::Duration;

use foreign_types::ForeignTypeRef as _;
use openssl::hash::MessageDigest;
use openssl::ocsp::{
    OcspCertId, OcspCertStatus, OcspFlag, OcspRequest, OcspResponse, OcspResponseStatus,
};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

use super::cert::Cert;

// libcrypto functions the openssl crates do not wrap (OpenSSL's ocsp.h, present in 1.0 to 3.x).
unsafe extern "C" {
    fn OCSP_request_add1_nonce(
        req: *mut openssl_sys::OCSP_REQUEST,
        val: *mut u8,
        len: std::ffi::c_int,
    ) -> std::ffi::c_int;
    fn OCSP_check_nonce(
        req: *mut openssl_sys::OCSP_REQUEST,
        bs: *mut openssl_sys::OCSP_BASICRESP,
    ) -> std::ffi::c_int;
}

/// Slack allowed on thisUpdate/nextUpdate for clock skew, seconds.
const SKEW: u32 = 300;

/// What the responder said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcspAnswer {
    /// Not revoked.
    Good,
    /// Revoked, with the reason's name.
    Revoked(String),
}

fn reason(code: i32) -> &'static str {
    match code {
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unspecified",
    }
}

/// Asks the certificate's OCSP responders, in order, until one gives a usable answer; returns
/// the answer and the response's DER (kept as evidence).
/// `anchors` and `certs` are what the responder's own certificate may chain through.
pub fn check(
    cert: &Cert,
    issuer: &Cert,
    anchors: &[Cert],
    certs: &[Cert],
) -> Result<(OcspAnswer, Vec<u8>), String> {
    if cert.ocsp_urls.is_empty() {
        return Err("the certificate names no OCSP responder".into());
    }
    let key = cache_key(cert, issuer);
    if let Some(hit) = cached(&key) {
        return Ok(hit);
    }
    let mut last = String::new();
    for url in &cert.ocsp_urls {
        match ask(url, cert, issuer, anchors, certs) {
            Ok((answer, der, ttl)) => {
                remember(key, &answer, &der, ttl);
                return Ok((answer, der));
            }
            Err(e) => last = format!("OCSP {url}: {e}"),
        }
    }
    Err(last)
}

/// Answers are remembered for at most this long, and never past their nextUpdate.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// At most this many remembered answers.
const CACHE_ENTRIES: usize = 10_000;

type Cached = (OcspAnswer, Vec<u8>, std::time::Instant);
static CACHE: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<[u8; 32], Cached>>> =
    std::sync::LazyLock::new(Default::default);

fn cache_key(cert: &Cert, issuer: &Cert) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    h.update((cert.der.len() as u64).to_be_bytes());
    h.update(&cert.der);
    h.update(&issuer.der);
    h.finalize().into()
}

fn cached(key: &[u8; 32]) -> Option<(OcspAnswer, Vec<u8>)> {
    let cache = CACHE.lock().ok()?;
    let (answer, der, until) = cache.get(key)?;
    (std::time::Instant::now() < *until).then(|| (answer.clone(), der.clone()))
}

fn remember(key: [u8; 32], answer: &OcspAnswer, der: &[u8], ttl: Duration) {
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(
            key,
            (
                answer.clone(),
                der.to_vec(),
                std::time::Instant::now() + ttl,
            ),
        );
    }
}

fn ask(
    url: &str,
    cert: &Cert,
    issuer: &Cert,
    anchors: &[Cert],
    certs: &[Cert],
) -> Result<(OcspAnswer, Vec<u8>, Duration), String> {
    let e = |e: openssl::error::ErrorStack| e.to_string();
    let subject = X509::from_der(&cert.der).map_err(e)?;
    let issuer_x = X509::from_der(&issuer.der).map_err(e)?;
    let id = OcspCertId::from_cert(MessageDigest::sha1(), &subject, &issuer_x).map_err(e)?;
    let mut request = OcspRequest::new().map_err(e)?;
    request.add_id(id).map_err(e)?;
    // SAFETY: the request is a valid OCSP_REQUEST owned by `request`; a NULL value asks OpenSSL
    // for a random nonce of the default length.
    let added = unsafe { OCSP_request_add1_nonce(request.as_ptr(), std::ptr::null_mut(), -1) };
    if added != 1 {
        return Err("could not add a nonce".into());
    }
    let der = request.to_der().map_err(e)?;
    let body = crate::http_client::post_ok(url, "application/ocsp-request", &der)
        .map_err(|e| e.to_string())?;
    let response = OcspResponse::from_der(&body)
        .map_err(|_| "the answer is not an OCSP response".to_string())?;
    if response.status() != OcspResponseStatus::SUCCESSFUL {
        return Err(format!(
            "the responder refused (status {})",
            response.status().as_raw()
        ));
    }
    let basic = response.basic().map_err(e)?;
    // SAFETY: both pointers are valid for the duration of the call.
    let nonce = unsafe { OCSP_check_nonce(request.as_ptr(), basic.as_ptr()) };
    if nonce != 1 {
        return Err("the response does not echo our nonce (a replay?)".into());
    }
    let mut store = X509StoreBuilder::new().map_err(e)?;
    for a in anchors {
        store
            .add_cert(X509::from_der(&a.der).map_err(e)?)
            .map_err(e)?;
    }
    let store = store.build();
    let mut chain = Stack::new().map_err(e)?;
    chain.push(issuer_x.clone()).map_err(e)?;
    for c in certs {
        chain.push(X509::from_der(&c.der).map_err(e)?).map_err(e)?;
    }
    basic
        .verify(&chain, &store, OcspFlag::empty())
        .map_err(|err| format!("the response's signature or signer is not acceptable: {err}"))?;
    let id = OcspCertId::from_cert(MessageDigest::sha1(), &subject, &issuer_x).map_err(e)?;
    let status = basic
        .find_status(&id)
        .ok_or("the response does not mention this certificate")?;
    status
        .check_validity(SKEW, None)
        .map_err(|_| "the response is not fresh".to_string())?;
    // Remember the answer until its nextUpdate, at most CACHE_TTL.
    let ttl = status
        .next_update()
        .and_then(|next| {
            let now = openssl::asn1::Asn1Time::days_from_now(0).ok()?;
            // SAFETY: ASN1_GENERALIZEDTIME and ASN1_TIME are both ASN1_STRING in OpenSSL, and
            // ASN1_TIME_diff accepts either; the reference lives as long as `basic`.
            let next: &openssl::asn1::Asn1TimeRef = unsafe {
                openssl::asn1::Asn1TimeRef::from_ptr(next.as_ptr() as *mut openssl_sys::ASN1_TIME)
            };
            let diff = now.diff(next).ok()?;
            let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
            u64::try_from(secs).ok().map(Duration::from_secs)
        })
        .map_or(CACHE_TTL, |d| d.min(CACHE_TTL));
    match status.status {
        OcspCertStatus::GOOD => Ok((OcspAnswer::Good, body.clone(), ttl)),
        OcspCertStatus::REVOKED => Ok((
            OcspAnswer::Revoked(reason(status.reason.as_raw()).into()),
            body.clone(),
            ttl,
        )),
        _ => Err("the responder does not know this certificate".into()),
    }
}
