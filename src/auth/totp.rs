//! The second factor: time-based one-time passwords (RFC 6238) and single-use recovery codes.
//!
//! Keys are 160 random bits (RFC 4226 §4 recommends 160), codes six digits over 30-second steps
//! with HMAC-SHA1, which is what every authenticator app reads from an `otpauth://` URI. A code
//! is accepted for the step before, the current one and the one after (RFC 6238 §5.2's "one
//! step backward" plus a step of clock drift), and only for a step later than the last one
//! accepted: the same code never signs in twice (§5.2).

use std::fmt;

use rand::RngCore as _;
use totp_rs::{Algorithm, TOTP};

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A TOTP key (base32, as apps take it). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpKey(String);

impl fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpKey(<redacted>)")
    }
}

impl TotpKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        Self(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            &bytes,
        ))
    }

    /// A stored key; `None` when it is not base32.
    pub fn from_stored(text: &str) -> Option<Self> {
        base32::decode(base32::Alphabet::Rfc4648 { padding: false }, text)
            .filter(|b| b.len() >= 16)
            .map(|_| Self(text.to_owned()))
    }

    /// The base32 text, to store and to show once at enrolment.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn totp(&self, issuer: &str, account: &str) -> TOTP {
        let secret = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &self.0)
            .unwrap_or_default();
        // `new_unchecked`: the key length was checked when the key was made or read, and a
        // colon in the labels only matters to the URI (replaced there).
        TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            1,
            STEP_SECONDS,
            secret,
            Some(issuer.replace(':', " ")),
            account.replace(':', " "),
        )
    }

    /// The `otpauth://totp/...` URI an authenticator app scans (as a QR code) or takes typed.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        self.totp(issuer, account).get_url()
    }

    /// The code the key gives at `unix_seconds` (what the person's app shows then).
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp("motcua", "code").generate(unix_seconds)
    }

    /// The step a code is good for at `unix_seconds` (the previous, current or next step), if
    /// any, and only if later than `last_step` (a code is accepted once).
    pub fn check(&self, code: &str, unix_seconds: u64, last_step: Option<u64>) -> Option<u64> {
        let code = code.trim();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let totp = self.totp("motcua", "check");
        let now = unix_seconds / STEP_SECONDS;
        let mut matched = None;
        // Every candidate is computed and compared in constant time, so the answer's timing
        // says nothing about which step matched.
        for step in [now.saturating_sub(1), now, now + 1] {
            let expected = totp.generate(step * STEP_SECONDS);
            if openssl::memcmp::eq(expected.as_bytes(), code.as_bytes())
                && last_step.is_none_or(|last| step > last)
            {
                matched = Some(step);
            }
        }
        matched
    }
}

/// A fresh set of recovery codes, as shown once: `xxxx-xxxx-xxxx-xxxx`, 80 random bits each in
/// base32 without the letters people confuse.
pub fn generate_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rng().fill_bytes(&mut bytes);
            let text = base32::encode(base32::Alphabet::Crockford, &bytes).to_lowercase();
            text.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The stored form of a recovery code: the SHA-256 of its normalised text (lower case, no
/// dashes or spaces, Crockford's look-alikes mapped), so `ABCD EFGH...` works as typed.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect();
    crate::storage::Sha256Digest::of(normal.as_bytes()).to_hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 key "12345678901234567890" and its eight-digit codes.
    #[test]
    fn rfc_6238_test_vectors() {
        let vectors: [(u64, &str, Algorithm, &[u8]); 9] = [
            (59, "94287082", Algorithm::SHA1, b"12345678901234567890"),
            (
                59,
                "46119246",
                Algorithm::SHA256,
                b"12345678901234567890123456789012",
            ),
            (
                59,
                "90693936",
                Algorithm::SHA512,
                b"1234567890123456789012345678901234567890123456789012345678901234",
            ),
            (
                1111111109,
                "07081804",
                Algorithm::SHA1,
                b"12345678901234567890",
            ),
            (
                1111111111,
                "14050471",
                Algorithm::SHA1,
                b"12345678901234567890",
            ),
            (
                1234567890,
                "89005924",
                Algorithm::SHA1,
                b"12345678901234567890",
            ),
            (
                2000000000,
                "69279037",
                Algorithm::SHA1,
                b"12345678901234567890",
            ),
            (
                20000000000,
                "65353130",
                Algorithm::SHA1,
                b"12345678901234567890",
            ),
            (
                20000000000,
                "47863826",
                Algorithm::SHA512,
                b"1234567890123456789012345678901234567890123456789012345678901234",
            ),
        ];
        for (time, code, algorithm, secret) in vectors {
            let totp =
                TOTP::new_unchecked(algorithm, 8, 1, 30, secret.to_vec(), None, String::new());
            assert_eq!(totp.generate(time), code, "T={time} {algorithm:?}");
        }
    }

    #[test]
    fn our_six_digit_codes_are_the_rfc_ones_truncated() {
        // The same SHA-1 key, six digits: the last six of RFC 6238's eight (dynamic truncation
        // takes the value modulo 10^digits).
        let key = TotpKey(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            b"12345678901234567890",
        ));
        assert_eq!(key.check("287082", 59, None), Some(1));
        assert_eq!(key.check("081804", 1111111109, None), Some(37037036));
    }

    #[test]
    fn a_code_is_good_one_step_either_side_and_only_once() {
        let key = TotpKey::generate();
        let totp = key.totp("motcua", "a");
        let now = 1_800_000_000;
        let code = totp.generate(now);
        let step = now / STEP_SECONDS;
        assert_eq!(key.check(&code, now, None), Some(step));
        assert_eq!(key.check(&code, now + 30, None), Some(step));
        assert_eq!(key.check(&code, now - 30, None), Some(step));
        assert_eq!(key.check(&code, now + 90, None), None, "too late");
        assert_eq!(key.check(&code, now, Some(step)), None, "used already");
        assert_eq!(key.check("12345", now, None), None);
        assert_eq!(key.check("abcdef", now, None), None);
    }

    #[test]
    fn enrolment_uri_names_the_issuer_and_account() {
        let key = TotpKey::generate();
        let uri = key.uri("motcua HN", "nguyenvana");
        assert!(
            uri.starts_with("otpauth://totp/motcua%20HN:nguyenvana?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={}", key.expose())));
        assert!(!format!("{key:?}").contains(key.expose()));
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_loosely() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 19);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(
            recovery_code_hash(&codes[0]),
            recovery_code_hash(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_code_hash(&codes[0]), recovery_code_hash(&codes[1]));
    }
}
