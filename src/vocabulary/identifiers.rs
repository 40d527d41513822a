//! Vietnamese identifiers and the one rule each follows, wherever it enters: intake, tokens
//! (API and command line), result documents, and the signer's identity in a certificate. The
//! floor of the crate: it imports nothing of it.
//!
//! - A tax code (mã số thuế) of an enterprise is ten digits whose tenth is the check digit of
//!   the first nine (Circular 105/2020/TT-BTC, art. 5); a branch or dependent unit adds a hyphen
//!   and three digits; since 1 July 2025 an individual's tax code is their twelve-digit personal
//!   identification number.
//! - A personal identification number (số định danh cá nhân, on the CCCD card) is twelve digits
//!   whose first three are the code of the province of birth registration (Circular
//!   07/2016/TT-BCA, annex I); an old identity card (CMND) number is nine digits.
//!
//! Values recorded before these rules were enforced (dossiers, tokens, imported paper records)
//! are read back with the format rule only ([`TaxCode::parse_recorded`],
//! [`IdNumber::parse_recorded`]): a record is never made unreadable by a rule that came later.

use std::fmt;

use serde::Serialize;

/// Why a value from outside was refused. The message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InvalidField {
    /// The field, as the client wrote it (`applicant.tax_code`).
    pub field: &'static str,
    /// What it must look like.
    pub rule: String,
}

impl InvalidField {
    /// A refusal of `field`, saying what it must be.
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }
}

/// The check digit of a ten-digit tax code's first nine digits: with the weights 31, 29, 23, 19,
/// 17, 13, 7, 5, 3, it is 10 − (sum mod 11); `None` when that is 10 (no code is issued with
/// such a prefix).
pub fn tax_code_check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = first_nine
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let digit = 10 - sum % 11;
    (digit < 10).then_some(digit as u8)
}

/// Whether the first ten characters of `code` are digits whose tenth is the check digit.
pub fn tax_code_check_digit_valid(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() < 10 || !b[..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let first: &[u8; 9] = b[..9].try_into().expect("nine bytes");
    tax_code_check_digit(first) == Some(b[9] - b'0')
}

/// Province codes of personal identification numbers (Circular 07/2016/TT-BCA, annex I).
const PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a twelve-digit personal identification number starts with a province code.
pub fn personal_number_valid(number: &str) -> bool {
    digits(number, 12)
        && number[..3]
            .parse::<u16>()
            .is_ok_and(|p| PROVINCES.contains(&p))
}

/// A Vietnamese tax code (mã số thuế): 10 digits for an enterprise, 10 digits, a hyphen and 3
/// digits for a branch or dependent unit, or an individual's 12-digit personal identification
/// number. Certificates from licensed CAs carry it as `UID=MST:<code>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TaxCode(String);

const TAX_CODE_FORMAT: &str =
    "a tax code is 10 digits, 10 digits-3 digits for a branch, or 12 digits";

impl TaxCode {
    /// Parses and normalises (surrounding spaces removed), checking the check digit of a
    /// ten-digit code and the province of a twelve-digit one.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let code = Self::parse_recorded(text)?;
        let t = code.as_str();
        if t.len() == 12 {
            if !personal_number_valid(t) {
                return Err(InvalidField::new(
                    "tax_code",
                    format!(
                        "{t} is not a personal identification number: its first three digits \
                         are no province's code"
                    ),
                ));
            }
        } else if !tax_code_check_digit_valid(t) {
            let first: &[u8; 9] = t.as_bytes()[..9].try_into().expect("nine digits");
            let rule = match tax_code_check_digit(first) {
                Some(d) => format!(
                    "{t} is not a valid tax code: its check digit (the tenth) should be {d}; \
                     check it for a typing error"
                ),
                None => format!(
                    "{t} is not a valid tax code: no tax code begins with {}; check it for a \
                     typing error",
                    &t[..9]
                ),
            };
            return Err(InvalidField::new("tax_code", rule));
        }
        Ok(code)
    }

    /// Parses with the format rule only: for codes recorded before the check digit was
    /// enforced, read back or searched for.
    pub fn parse_recorded(text: &str) -> Result<Self, InvalidField> {
        let t = text.trim();
        let ok = digits(t, 10)
            || digits(t, 12)
            || t.split_once('-')
                .is_some_and(|(a, b)| digits(a, 10) && digits(b, 3));
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(InvalidField::new("tax_code", TAX_CODE_FORMAT))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A citizen's identification number (số định danh cá nhân / CCCD, 12 digits; old CMND cards, 9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdNumber(String);

impl IdNumber {
    /// Parses and normalises, checking a twelve-digit number's province code.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let number = Self::parse_recorded(text)?;
        let t = number.as_str();
        if t.len() == 12 && !personal_number_valid(t) {
            return Err(InvalidField::new(
                "id_number",
                format!(
                    "{t} is not a personal identification number: its first three digits are \
                     no province's code; check it for a typing error"
                ),
            ));
        }
        Ok(number)
    }

    /// Parses with the format rule only, for numbers recorded before the province rule.
    pub fn parse_recorded(text: &str) -> Result<Self, InvalidField> {
        let t = text.trim();
        if digits(t, 12) || digits(t, 9) {
            Ok(Self(t.to_owned()))
        } else {
            Err(InvalidField::new(
                "id_number",
                "an identification number is 12 digits (or 9 for an old ID card)",
            ))
        }
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_codes_are_10_digits_with_their_check_digit_a_branch_or_12_digits() {
        assert!(TaxCode::parse("0101234565").is_ok());
        assert!(TaxCode::parse("0101234565-001").is_ok());
        assert!(TaxCode::parse("0106869738").is_ok());
        assert!(TaxCode::parse("001203004567").is_ok());
        assert_eq!(
            TaxCode::parse(" 0101234565 ").unwrap().as_str(),
            "0101234565"
        );
        for bad in [
            "",
            "123",
            "01012345678",
            "0101234565-01",
            "MST:0101234565",
            "010123456a",
        ] {
            assert!(TaxCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_wrong_check_digit_is_refused_saying_what_it_should_be() {
        // The certificate the review found was issued for 0101234567: its check digit is 5.
        let e = TaxCode::parse("0101234567").unwrap_err();
        assert_eq!(e.field, "tax_code");
        assert!(e.rule.contains("should be 5"), "{}", e.rule);
        assert!(TaxCode::parse("0101234567-001").is_err());
        // 010999999 has no check digit at all.
        assert!(
            TaxCode::parse("0109999999")
                .unwrap_err()
                .rule
                .contains("no tax code begins with 010999999")
        );
        // Recorded before the rule: still read.
        assert!(TaxCode::parse_recorded("0101234567").is_ok());
    }

    #[test]
    fn personal_numbers_start_with_a_province() {
        assert!(IdNumber::parse("001203004567").is_ok());
        assert!(IdNumber::parse("079090001234").is_ok());
        assert!(IdNumber::parse("123456789").is_ok());
        assert!(IdNumber::parse("12345678901").is_err());
        assert!(
            IdNumber::parse("003203004567")
                .unwrap_err()
                .rule
                .contains("province")
        );
        assert!(TaxCode::parse("099203004567").is_err());
        assert!(IdNumber::parse_recorded("003203004567").is_ok());
    }
}
