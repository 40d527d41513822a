//! Signature verification over signed data (certificates, CRLs, later CMS), through OpenSSL, with
//! an algorithm policy. Supports RSA PKCS#1 v1.5 and PSS, DSA (including parameters inherited
//! from the issuer, RFC 5280 §6.1.4 (e)-(f)), ECDSA and Ed25519.

use openssl::bn::BigNum;
use openssl::dsa::Dsa;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};

/// Which algorithms are acceptable. The default refuses SHA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlgorithmPolicy {
    /// Accept SHA-1 signatures (certificate chains of legacy CAs and test suites); never MD5.
    pub allow_sha1: bool,
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The algorithm is unknown or refused by policy.
    #[error("signature algorithm {0} is not accepted")]
    Algorithm(String),
    /// The key cannot be used (malformed, wrong type for the algorithm).
    #[error("the public key cannot be used: {0}")]
    Key(String),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Invalid,
}

/// DSA domain parameters (p, q, g), big-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsaParams {
    p: Vec<u8>,
    q: Vec<u8>,
    g: Vec<u8>,
}

const DSA_KEY: &str = "1.2.840.10040.4.1";

/// A public key as path validation carries it: the SPKI and, for DSA keys without parameters,
/// the parameters inherited from the issuer.
#[derive(Debug, Clone)]
pub struct WorkingKey {
    /// SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// Inherited DSA parameters.
    pub inherited: Option<DsaParams>,
}

impl WorkingKey {
    /// The key of `spki` (algorithm `key_alg`, parameters absent or not), inheriting DSA parameters
    /// from `issuer` when the key has none.
    pub fn new(
        spki: &[u8],
        key_alg: &str,
        params_absent: bool,
        issuer: Option<&WorkingKey>,
    ) -> Self {
        let inherited = if key_alg == DSA_KEY && params_absent {
            issuer.and_then(|i| i.dsa_params())
        } else {
            None
        };
        Self {
            spki: spki.to_vec(),
            inherited,
        }
    }

    fn dsa_params(&self) -> Option<DsaParams> {
        if let Some(p) = &self.inherited {
            return Some(p.clone());
        }
        let key = PKey::public_key_from_der(&self.spki).ok()?;
        let dsa = key.dsa().ok()?;
        Some(DsaParams {
            p: dsa.p().to_vec(),
            q: dsa.q().to_vec(),
            g: dsa.g().to_vec(),
        })
    }

    fn pkey(&self) -> Result<PKey<Public>, SignatureError> {
        let bad = |e: openssl::error::ErrorStack| SignatureError::Key(e.to_string());
        match &self.inherited {
            None => PKey::public_key_from_der(&self.spki).map_err(bad),
            Some(params) => {
                let y = dsa_public_value(&self.spki)
                    .ok_or_else(|| SignatureError::Key("malformed DSA public key".into()))?;
                let dsa = Dsa::from_public_components(
                    BigNum::from_slice(&params.p).map_err(bad)?,
                    BigNum::from_slice(&params.q).map_err(bad)?,
                    BigNum::from_slice(&params.g).map_err(bad)?,
                    BigNum::from_slice(&y).map_err(bad)?,
                )
                .map_err(bad)?;
                PKey::from_dsa(dsa).map_err(bad)
            }
        }
    }
}

/// The DSA public value y: the INTEGER inside the SPKI's BIT STRING.
fn dsa_public_value(spki: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).ok()?;
    let bits: &[u8] = &info.subject_public_key.data;
    if bits.len() < 2 || bits[0] != 0x02 {
        return None;
    }
    let (len, start) = if bits[1] < 0x80 {
        (bits[1] as usize, 2)
    } else {
        let n = (bits[1] & 0x7f) as usize;
        let mut len = 0usize;
        for b in bits.get(2..2 + n)? {
            len = (len << 8) | *b as usize;
        }
        (len, 2 + n)
    };
    bits.get(start..start + len).map(<[u8]>::to_vec)
}

enum Scheme {
    Pkcs1(MessageDigest),
    Pss,
    Plain(MessageDigest),
    Ed25519,
}

fn scheme(alg: &str, policy: AlgorithmPolicy) -> Result<Scheme, SignatureError> {
    let refuse = || Err(SignatureError::Algorithm(alg.to_owned()));
    Ok(match alg {
        "1.2.840.113549.1.1.11" => Scheme::Pkcs1(MessageDigest::sha256()),
        "1.2.840.113549.1.1.12" => Scheme::Pkcs1(MessageDigest::sha384()),
        "1.2.840.113549.1.1.13" => Scheme::Pkcs1(MessageDigest::sha512()),
        "1.2.840.113549.1.1.14" => Scheme::Pkcs1(MessageDigest::sha224()),
        "1.2.840.113549.1.1.5" if policy.allow_sha1 => Scheme::Pkcs1(MessageDigest::sha1()),
        "1.2.840.113549.1.1.10" => Scheme::Pss,
        "1.2.840.10040.4.3" if policy.allow_sha1 => Scheme::Plain(MessageDigest::sha1()),
        "2.16.840.1.101.3.4.3.2" => Scheme::Plain(MessageDigest::sha256()),
        "1.2.840.10045.4.1" if policy.allow_sha1 => Scheme::Plain(MessageDigest::sha1()),
        "1.2.840.10045.4.3.2" => Scheme::Plain(MessageDigest::sha256()),
        "1.2.840.10045.4.3.3" => Scheme::Plain(MessageDigest::sha384()),
        "1.2.840.10045.4.3.4" => Scheme::Plain(MessageDigest::sha512()),
        "1.3.101.112" => Scheme::Ed25519,
        _ => return refuse(),
    })
}

/// The hash of RSASSA-PSS parameters (RFC 4055): SHA-1 when absent.
fn pss_digest(
    params: Option<&[u8]>,
    policy: AlgorithmPolicy,
) -> Result<(MessageDigest, i32), SignatureError> {
    let p = params.unwrap_or_default();
    let has = |oid_der: &[u8]| p.windows(oid_der.len()).any(|w| w == oid_der);
    // DER of the SHA-2 OIDs 2.16.840.1.101.3.4.2.{1,2,3}.
    let sha256 = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    ];
    let sha384 = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    ];
    let sha512 = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
    ];
    let md = if has(&sha256) {
        MessageDigest::sha256()
    } else if has(&sha384) {
        MessageDigest::sha384()
    } else if has(&sha512) {
        MessageDigest::sha512()
    } else if policy.allow_sha1 {
        MessageDigest::sha1()
    } else {
        return Err(SignatureError::Algorithm("RSASSA-PSS with SHA-1".into()));
    };
    // saltLength [2] EXPLICIT INTEGER (default 20), read from the parameters' SEQUENCE.
    let mut salt = 20i32;
    if let Some((0x30, mut fields, _)) = super::cert::tlv(p) {
        while let Some((tag, value, rest)) = super::cert::tlv(fields) {
            fields = rest;
            if tag == 0xa2
                && let Some((0x02, int, _)) = super::cert::tlv(value)
                && int.len() <= 4
            {
                salt = int.iter().fold(0i32, |acc, b| (acc << 8) | i32::from(*b));
            }
        }
    }
    Ok((md, salt))
}

/// Verifies `signature` over `data` with `key`, for the algorithm `alg` (OID) and its parameters.
pub fn verify(
    data: &[u8],
    alg: &str,
    params: Option<&[u8]>,
    signature: &[u8],
    key: &WorkingKey,
    policy: AlgorithmPolicy,
) -> Result<(), SignatureError> {
    let scheme = scheme(alg, policy)?;
    // Verifying the same signature over the same bytes with the same key always gives the same
    // answer, so successes are remembered (chains and CRLs repeat across documents). The key is
    // a SHA-256 over everything the answer depends on: safe, and much cheaper than a verify.
    let memo = memo_key(data, alg, params, signature, key);
    if VERIFIED.lock().map(|m| m.contains(&memo)).unwrap_or(false) {
        return Ok(());
    }
    let outcome = verify_uncached(data, scheme, params, signature, key, policy);
    if outcome.is_ok()
        && let Ok(mut m) = VERIFIED.lock()
    {
        if m.len() >= MAX_VERIFIED {
            m.clear();
        }
        m.insert(memo);
    }
    outcome
}

/// Remembered successful verifications: bounded; cleared when full.
static VERIFIED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>> =
    std::sync::LazyLock::new(Default::default);
/// At most this many remembered verifications (32 bytes each).
const MAX_VERIFIED: usize = 65_536;

fn memo_key(
    data: &[u8],
    alg: &str,
    params: Option<&[u8]>,
    signature: &[u8],
    key: &WorkingKey,
) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    for part in [
        alg.as_bytes(),
        params.unwrap_or_default(),
        signature,
        &key.spki,
        data,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    if let Some(p) = &key.inherited {
        for part in [&p.p, &p.q, &p.g] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
    }
    h.finalize().into()
}

fn verify_uncached(
    data: &[u8],
    scheme: Scheme,
    params: Option<&[u8]>,
    signature: &[u8],
    key: &WorkingKey,
    policy: AlgorithmPolicy,
) -> Result<(), SignatureError> {
    let pkey = key.pkey()?;
    let key_err = |e: openssl::error::ErrorStack| SignatureError::Key(e.to_string());
    let ok = match scheme {
        Scheme::Ed25519 => {
            if pkey.id() != Id::ED25519 {
                return Err(SignatureError::Key("not an Ed25519 key".into()));
            }
            let mut v = Verifier::new_without_digest(&pkey).map_err(key_err)?;
            v.verify_oneshot(signature, data).unwrap_or(false)
        }
        Scheme::Pkcs1(md) => {
            if pkey.id() != Id::RSA {
                return Err(SignatureError::Key("not an RSA key".into()));
            }
            let mut v = Verifier::new(md, &pkey).map_err(key_err)?;
            v.set_rsa_padding(Padding::PKCS1).map_err(key_err)?;
            v.update(data).map_err(key_err)?;
            v.verify(signature).unwrap_or(false)
        }
        Scheme::Pss => {
            let (md, salt) = pss_digest(params, policy)?;
            let mut v = Verifier::new(md, &pkey).map_err(key_err)?;
            v.set_rsa_padding(Padding::PKCS1_PSS).map_err(key_err)?;
            v.set_rsa_mgf1_md(md).map_err(key_err)?;
            v.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt))
                .map_err(key_err)?;
            v.update(data).map_err(key_err)?;
            v.verify(signature).unwrap_or(false)
        }
        Scheme::Plain(md) => {
            if pkey.id() != Id::DSA && pkey.id() != Id::EC {
                return Err(SignatureError::Key("not a DSA or EC key".into()));
            }
            let mut v = Verifier::new(md, &pkey).map_err(key_err)?;
            v.update(data).map_err(key_err)?;
            v.verify(signature).unwrap_or(false)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}
