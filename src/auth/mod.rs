//! Who is calling: roles, API tokens, people's accounts and sessions, and the principal either
//! stands for.
//!
//! Owns: token generation (random, shown once) and hashing (only the SHA-256 of a token is
//! stored), the closed set of roles, passwords (Argon2id), the second factor (TOTP, recovery
//! codes), sign-in throttling, sessions, and sign-in through an identity provider (`oidc`:
//! OpenID Connect, claims mapped to accounts). Never reaches: HTTP (the extractor lives in
//! `http`), SQL (rows live in `db`). Never logs a token, a password, a TOTP key, a session
//! secret or a recovery code.

pub mod accounts;
pub mod oidc;
pub mod password;
pub mod throttle;
pub mod tokens;
pub mod totp;

pub use accounts::{AccountError, AccountPolicy, Accounts};
pub use tokens::{TokenError, Tokens};

use std::fmt;

use base64::Engine as _;
use rand::RngCore as _;
use serde::Serialize;

use crate::storage::Sha256Digest;
use crate::vocabulary::{IdNumber, TaxCode, UnitCode};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An enterprise: files and follows its own dossiers (matched by tax code).
    Business,
    /// A citizen: files and follows their own dossiers (matched by identification number).
    Citizen,
    /// A counter officer: receives and processes dossiers.
    Officer,
    /// An archivist: searches and retrieves records.
    Archivist,
    /// An administrator.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Business,
        Role::Citizen,
        Role::Officer,
        Role::Archivist,
        Role::Admin,
    ];

    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Business => "business",
            Self::Citizen => "citizen",
            Self::Officer => "officer",
            Self::Archivist => "archivist",
            Self::Admin => "admin",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Staff roles see every dossier (for now; the workflow refines this by agency).
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Officer | Self::Archivist | Self::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller, as established from a valid token.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// Who is calling, as records name them: a token's id (not the token), or `account:<id>`
    /// for a person signed in to their account.
    pub token_id: String,
    /// Its role.
    pub role: Role,
    /// For a business: its tax code.
    pub tax_code: Option<TaxCode>,
    /// For a citizen: the identification number.
    pub id_number: Option<IdNumber>,
    /// For staff: the agency or unit they work for.
    pub agency: Option<String>,
    /// For a business: whether it also sees (and files for) its branches, `<tax code>-NNN`.
    pub branches: bool,
    /// A display name.
    pub name: Option<String>,
    /// For staff: the unit they work at (none: the whole deployment, as before units).
    pub unit: Option<UnitCode>,
}

/// A request to create a token, checked for consistency with its role.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Role.
    pub role: Role,
    /// Required for a business.
    pub tax_code: Option<TaxCode>,
    /// Required for a citizen.
    pub id_number: Option<IdNumber>,
    /// The agency or unit of a staff member.
    pub agency: Option<String>,
    /// A display name.
    pub name: Option<String>,
    /// A business token that also covers the business's branches (`<tax code>-NNN`).
    pub branches: bool,
    /// The unit a staff member works at (none: the whole deployment).
    pub unit: Option<UnitCode>,
}

/// A token request that does not fit its role, or whose text breaks a rule. The command line and
/// the API check a request with the same [`NewToken::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRequestError {
    /// A business token needs the business's tax code.
    #[error("a business token needs a tax code (--tax-code, \"tax_code\")")]
    MissingTaxCode,
    /// A citizen token needs the citizen's identification number.
    #[error("a citizen token needs an identification number (--id-number, \"id_number\")")]
    MissingIdNumber,
    /// A unit's administrator creates tokens of units in its reach only.
    #[error(
        "a unit's administrator binds every token it creates to a unit in its reach (\"unit\")"
    )]
    UnitRequired,
    /// Applicants belong to no unit.
    #[error("only staff tokens are bound to a unit")]
    UnitForApplicant,
    /// No unit has this code.
    #[error("unit {0:?}: no unit has this code")]
    UnknownUnit(String),
    /// The agency is not one the procedure catalogue in force names.
    #[error("agency {0:?} handles no procedure of the catalogue in force")]
    UnknownAgency(String),
    /// A name or an agency that is too long or holds control characters.
    #[error("{field}: at most {MAX_TOKEN_TEXT_CHARS} characters, no control characters")]
    Text {
        /// `name` or `agency`.
        field: &'static str,
    },
}

/// The most characters of a token's name and agency.
pub const MAX_TOKEN_TEXT_CHARS: usize = 200;

impl NewToken {
    /// Checks that a business has a tax code and a citizen an identification number, that the
    /// name and agency are short plain text, and that the agency is one `known_agency` accepts
    /// (the agencies of the catalogue in force), and that a unit is a staff member's and one
    /// `known_unit` accepts. Normalises: blank texts become `None`.
    pub fn validate(
        &mut self,
        known_agency: &dyn Fn(&str) -> bool,
        known_unit: &dyn Fn(&str) -> bool,
    ) -> Result<(), TokenRequestError> {
        for (field, text) in [("name", &mut self.name), ("agency", &mut self.agency)] {
            if let Some(t) = text.as_mut() {
                *t = t.trim().to_owned();
                if t.chars().count() > MAX_TOKEN_TEXT_CHARS || t.chars().any(char::is_control) {
                    return Err(TokenRequestError::Text { field });
                }
            }
            if text.as_deref().is_some_and(str::is_empty) {
                *text = None;
            }
        }
        match self.role {
            Role::Business if self.tax_code.is_none() => {
                return Err(TokenRequestError::MissingTaxCode);
            }
            Role::Citizen if self.id_number.is_none() => {
                return Err(TokenRequestError::MissingIdNumber);
            }
            _ => {}
        }
        if let Some(agency) = &self.agency
            && !known_agency(agency)
        {
            return Err(TokenRequestError::UnknownAgency(agency.clone()));
        }
        if let Some(unit) = &self.unit {
            if matches!(self.role, Role::Business | Role::Citizen) {
                return Err(TokenRequestError::UnitForApplicant);
            }
            if !known_unit(unit.as_str()) {
                return Err(TokenRequestError::UnknownUnit(unit.as_str().to_owned()));
            }
        }
        Ok(())
    }
}

/// A freshly generated token: the secret to hand out once, and the hash to store.
pub struct GeneratedToken {
    /// `mct_` followed by 43 base64url characters (256 random bits).
    pub secret: String,
    /// What the database keeps.
    pub hash: Sha256Digest,
}

impl fmt::Debug for GeneratedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedToken")
            .field("secret", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// The prefix of every motcua token, so secret scanners can spot a leaked one.
pub const TOKEN_PREFIX: &str = "mct_";

/// Generates a token from the operating system's random source.
pub fn generate_token() -> GeneratedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_token(&secret);
    GeneratedToken { secret, hash }
}

/// The stored form of a token. A plain SHA-256 is enough: tokens carry 256 random bits, so there
/// is nothing to brute-force.
pub fn hash_token(secret: &str) -> Sha256Digest {
    Sha256Digest::of(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_what_is_stored() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(hash_token(&a.secret), a.hash);
        assert!(!format!("{a:?}").contains(&a.secret));
    }

    #[test]
    fn business_tokens_need_a_tax_code() {
        let mut t = NewToken {
            role: Role::Business,
            tax_code: None,
            id_number: None,
            agency: None,
            name: None,
            branches: false,
            unit: None,
        };
        assert_eq!(
            t.validate(&|_| true, &|_| true),
            Err(TokenRequestError::MissingTaxCode)
        );
    }

    #[test]
    fn names_and_agencies_are_short_plain_text_and_agencies_known() {
        let officer = |agency: &str, name: &str| NewToken {
            role: Role::Officer,
            tax_code: None,
            id_number: None,
            agency: Some(agency.into()),
            name: Some(name.into()),
            branches: false,
            unit: None,
        };
        let known = |a: &str| a == "Công an cấp xã";
        let mut fine = officer(" Công an cấp xã ", "  ");
        assert_eq!(fine.validate(&known, &|_| true), Ok(()));
        assert_eq!(fine.agency.as_deref(), Some("Công an cấp xã"));
        assert_eq!(fine.name, None);
        assert_eq!(
            officer("Công an cấp huyện", "A").validate(&known, &|_| true),
            Err(TokenRequestError::UnknownAgency("Công an cấp huyện".into()))
        );
        assert_eq!(
            officer("Công an cấp xã", &"n".repeat(MAX_TOKEN_TEXT_CHARS + 1))
                .validate(&known, &|_| true),
            Err(TokenRequestError::Text { field: "name" })
        );
        assert_eq!(
            officer("Công an cấp xã", "a\u{7}b").validate(&known, &|_| true),
            Err(TokenRequestError::Text { field: "name" })
        );
    }
}
