//! RFC 3161 client: asks a time-stamping authority for a token over a signature value (the
//! PAdES B-T signature timestamp). Owns the request and the checks a requester makes on the
//! answer (status granted, imprint and nonce echoed); whether the TSA is trusted is the
//! verifier's question, not this module's. The request goes through `http_client::post_ok`.

use openssl::hash::{MessageDigest, hash};

use super::sign::SignError;
use crate::pki::cert::tlv;

/// DER of AlgorithmIdentifier { sha256, NULL }.
const SHA256_ALG: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
];

fn failed(m: impl Into<String>) -> SignError {
    SignError::Timestamp(m.into())
}

/// DER with a short or long definite length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        v.push(0x80 | bytes.len() as u8);
        v.extend(bytes);
    }
    v.extend_from_slice(content);
    v
}

/// TimeStampReq { version 1, messageImprint (SHA-256), nonce, certReq TRUE }.
fn request(imprint: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut message_imprint = SHA256_ALG.to_vec();
    message_imprint.extend(der(0x04, imprint));
    let mut body = der(0x02, &[1]);
    body.extend(der(0x30, &message_imprint));
    body.extend(der(0x02, nonce));
    body.extend(der(0x01, &[0xff]));
    der(0x30, &body)
}

/// A timestamp token (a CMS ContentInfo, DER) over `signature_value` from the TSA at `url`.
pub fn token(url: &str, signature_value: &[u8]) -> Result<Vec<u8>, SignError> {
    let imprint =
        hash(MessageDigest::sha256(), signature_value).map_err(|e| failed(e.to_string()))?;
    let mut nonce = [0u8; 8];
    openssl::rand::rand_bytes(&mut nonce).map_err(|e| failed(e.to_string()))?;
    nonce[0] = (nonce[0] & 0x7f) | 0x01; // positive and minimally encoded
    let answer = crate::http_client::post_ok(
        url,
        "application/timestamp-query",
        &request(&imprint, &nonce),
    )
    .map_err(|e| failed(format!("{url}: {e}")))?;
    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
    let malformed = || failed(format!("{url}: malformed answer"));
    let (tag, fields, _) = tlv(&answer).ok_or_else(malformed)?;
    if tag != 0x30 {
        return Err(malformed());
    }
    let (_, status_info, rest) = tlv(fields).ok_or_else(malformed)?;
    let (tag, status, _) = tlv(status_info).ok_or_else(malformed)?;
    // granted (0) or grantedWithMods (1)
    if tag != 0x02 || !matches!(status, [0] | [1]) {
        return Err(failed(format!(
            "{url}: the TSA refused the request (status {status:?})"
        )));
    }
    let (_, _, after) =
        tlv(rest).ok_or_else(|| failed(format!("{url}: no token in the answer")))?;
    let token = rest[..rest.len() - after.len()].to_vec();
    check(&token, &imprint, &nonce).map_err(|m| failed(format!("{url}: {m}")))?;
    Ok(token)
}

/// The token's TSTInfo echoes our imprint and nonce.
fn check(token: &[u8], imprint: &[u8], nonce: &[u8]) -> Result<(), String> {
    let (_, tst) = unwrap_token(token)?;
    let info = TstInfo::parse(&tst)?;
    if info.hashed != imprint {
        return Err("the token is over another value".into());
    }
    if info.nonce != Some(nonce) {
        return Err("the token does not echo our nonce".into());
    }
    Ok(())
}

/// id-ct-TSTInfo (RFC 3161).
pub(crate) const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";

/// A timestamp token's SignedData and the DER of the TSTInfo it encapsulates.
pub(crate) fn unwrap_token(
    token: &[u8],
) -> Result<(cms::signed_data::SignedData, Vec<u8>), String> {
    let ci = super::cms::parse_content_info(token).map_err(|e| e.to_string())?;
    let sd: cms::signed_data::SignedData = ci.content.decode_as().map_err(|e| e.to_string())?;
    if sd.encap_content_info.econtent_type.to_string() != TST_INFO {
        return Err("the token does not hold a TSTInfo".into());
    }
    let tst = sd
        .encap_content_info
        .econtent
        .as_ref()
        .map(|a| a.value().to_vec())
        .ok_or("the token holds no TSTInfo")?;
    Ok((sd, tst))
}

/// The fields of a TSTInfo (RFC 3161 §2.4.2) that requesters and verifiers check.
pub(crate) struct TstInfo<'a> {
    /// The DER content of the messageImprint's hash algorithm OID.
    pub imprint_algorithm: &'a [u8],
    /// The messageImprint's hashed message.
    pub hashed: &'a [u8],
    /// The content of genTime (GeneralizedTime).
    pub gen_time: &'a [u8],
    /// The nonce's INTEGER content, when present.
    pub nonce: Option<&'a [u8]>,
}

impl<'a> TstInfo<'a> {
    /// TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime,
    ///   accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, ... }
    pub(crate) fn parse(der: &'a [u8]) -> Result<Self, &'static str> {
        let bad = "malformed TSTInfo";
        let (_, fields, _) = tlv(der).ok_or(bad)?;
        let (_, _, rest) = tlv(fields).ok_or(bad)?; // version
        let (_, _, rest) = tlv(rest).ok_or(bad)?; // policy
        let (_, message_imprint, rest) = tlv(rest).ok_or(bad)?;
        let (_, algorithm, hashed) = tlv(message_imprint).ok_or("malformed messageImprint")?;
        let (_, imprint_algorithm, _) = tlv(algorithm).ok_or("malformed messageImprint")?;
        let (_, hashed, _) = tlv(hashed).ok_or("malformed messageImprint")?;
        let (_, _, rest) = tlv(rest).ok_or(bad)?; // serialNumber
        let (tag, gen_time, mut rest) = tlv(rest).ok_or(bad)?;
        if tag != 0x18 {
            return Err("malformed genTime");
        }
        // accuracy is a SEQUENCE and ordering a BOOLEAN: the first INTEGER after genTime is the
        // nonce; what follows it ([0] tsa, [1] extensions) is not an INTEGER.
        let mut nonce = None;
        while let Some((tag, value, after)) = tlv(rest) {
            if tag == 0x02 {
                nonce = Some(value);
                break;
            }
            rest = after;
        }
        Ok(Self {
            imprint_algorithm,
            hashed,
            gen_time,
            nonce,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_der_that_openssl_reads() {
        let req = request(&[7u8; 32], &[0x12, 0x34]);
        let (tag, body, rest) = tlv(&req).unwrap();
        assert_eq!((tag, rest.len()), (0x30, 0));
        let (_, version, rest) = tlv(body).unwrap();
        assert_eq!(version, [1]);
        let (_, imprint, rest) = tlv(rest).unwrap();
        assert!(imprint.starts_with(&SHA256_ALG));
        let (_, nonce, rest) = tlv(rest).unwrap();
        assert_eq!(nonce, [0x12, 0x34]);
        assert_eq!(tlv(rest).unwrap().1, [0xff]);
    }

    #[test]
    fn long_lengths_are_encoded_long_form() {
        assert_eq!(der(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(der(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }
}
