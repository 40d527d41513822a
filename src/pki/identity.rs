//! Who a certificate names, with the Vietnamese conventions: licensed CAs put the tax code or a
//! personal id number in the subject's userId attribute (OID 0.9.2342.19200300.100.1.1) as
//! `MST:<10 digits>` or `MST:<10 digits>-<3 digits>` (enterprise tax code, optional branch),
//! `CCCD:<12 digits>` / `CMND:<9 or 12 digits>` (personal identification numbers) or
//! `MNS:<code>` (budget-unit code of a state body).

use serde::Serialize;

use super::cert::Cert;

/// userId (RFC 4519 uid).
pub const USER_ID: &str = "0.9.2342.19200300.100.1.1";

/// An identifier found in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identifier {
    /// Enterprise tax code (mã số thuế), with the branch suffix when present.
    TaxCode {
        /// `0106869738` or `0106869738-012`.
        code: String,
        /// Whether the 10th digit is the check digit of the first nine (Circular 105/2020/TT-BTC).
        check_digit_valid: bool,
    },
    /// Citizen identity card number (căn cước công dân).
    Cccd {
        /// The number.
        number: String,
    },
    /// Old identity card number (chứng minh nhân dân).
    Cmnd {
        /// The number.
        number: String,
    },
    /// Budget-unit code of a state body (mã đơn vị quan hệ ngân sách).
    Mns {
        /// The code.
        code: String,
    },
    /// Any other userId value.
    Other {
        /// The value as written.
        value: String,
    },
}

/// Checks the tax code check digit (the rule of `crate::vocabulary::identifiers`, the same for intake,
/// tokens and results).
pub use crate::vocabulary::identifiers::tax_code_check_digit_valid;

fn all_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses one userId value.
pub fn parse_user_id(value: &str) -> Identifier {
    let other = || Identifier::Other {
        value: value.to_owned(),
    };
    let Some((prefix, rest)) = value.trim().split_once(':') else {
        return other();
    };
    let rest = rest.trim();
    match prefix.trim().to_ascii_uppercase().as_str() {
        "MST" => {
            let (main, branch) = match rest.split_once('-') {
                Some((m, b)) => (m, Some(b)),
                None => (rest, None),
            };
            let enterprise = all_digits(main, &[10]) && branch.is_none_or(|b| all_digits(b, &[3]));
            let individual = all_digits(main, &[12]) && branch.is_none();
            if enterprise || individual {
                Identifier::TaxCode {
                    code: rest.to_owned(),
                    // The one rule of `identifiers`: the check digit, or for an individual's
                    // personal number its province.
                    check_digit_valid: crate::vocabulary::identifiers::TaxCode::parse(rest).is_ok(),
                }
            } else {
                other()
            }
        }
        "CCCD" if all_digits(rest, &[12]) => Identifier::Cccd {
            number: rest.to_owned(),
        },
        "CMND" if all_digits(rest, &[9, 12]) => Identifier::Cmnd {
            number: rest.to_owned(),
        },
        "MNS" if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Identifier::Mns {
                code: rest.to_owned(),
            }
        }
        _ => other(),
    }
}

/// A certificate holder as a report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// The subject DN (UTF-8, Vietnamese intact).
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Common name.
    pub common_name: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// The enterprise tax code, when the certificate carries one with a valid check digit.
    pub tax_code: Option<String>,
    /// Every identifier in userId attributes.
    pub identifiers: Vec<Identifier>,
}

/// Extracts the identity of a certificate's subject.
pub fn identity(cert: &Cert) -> Identity {
    let identifiers: Vec<Identifier> = cert
        .subject
        .original_values(USER_ID)
        .map(parse_user_id)
        .collect();
    let tax_code = identifiers.iter().find_map(|i| match i {
        Identifier::TaxCode {
            code,
            check_digit_valid: true,
        } => Some(code.clone()),
        _ => None,
    });
    Identity {
        subject: cert.subject.display().to_owned(),
        issuer: cert.issuer.display().to_owned(),
        serial: cert.serial_hex(),
        common_name: cert
            .subject
            .original_values("2.5.4.3")
            .next()
            .map(str::to_owned),
        organization: cert
            .subject
            .original_values("2.5.4.10")
            .next()
            .map(str::to_owned),
        tax_code,
        identifiers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_conventions() {
        assert_eq!(
            parse_user_id("MST:0106869738-012"),
            Identifier::TaxCode {
                code: "0106869738-012".into(),
                check_digit_valid: true
            }
        );
        assert!(matches!(
            parse_user_id("MST:0106869739"),
            Identifier::TaxCode {
                check_digit_valid: false,
                ..
            }
        ));
        assert_eq!(
            parse_user_id("CCCD:001203004567"),
            Identifier::Cccd {
                number: "001203004567".into()
            }
        );
        assert!(matches!(
            parse_user_id("CMND:123456789"),
            Identifier::Cmnd { .. }
        ));
        assert!(matches!(
            parse_user_id("MNS:1234567"),
            Identifier::Mns { .. }
        ));
        assert!(matches!(
            parse_user_id("MST:12345"),
            Identifier::Other { .. }
        ));
        assert!(matches!(parse_user_id("hello"), Identifier::Other { .. }));
    }
}
