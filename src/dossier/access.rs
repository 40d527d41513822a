//! Who may file and see which dossier: a business sees and files only dossiers whose applicant
//! tax code is its own, a citizen only those with their identification number; an officer of an
//! agency sees the dossiers of that agency's procedures, an officer with no agency (the one-stop
//! counter itself, which receives for every agency) sees all; archivists and admins see all;
//! archivists do not file.

use crate::auth::{Principal, Role};

use super::types::Applicant;

/// Whether `principal` may see a dossier with these applicant identifiers, handled by
/// `agencies` (its procedure's, and those of its interlinked parts). A refusal is reported as
/// "not found", so that ids of other applicants' (or other agencies') dossiers reveal nothing.
pub fn can_see(
    principal: &Principal,
    tax_code: Option<&str>,
    id_number: Option<&str>,
    agencies: &[&str],
) -> bool {
    match principal.role {
        Role::Business => match (principal.tax_code.as_ref(), tax_code) {
            (Some(own), Some(code)) => covers(own.as_str(), principal.branches, code),
            _ => false,
        },
        Role::Citizen => {
            principal.id_number.is_some()
                && principal.id_number.as_ref().map(|n| n.as_str()) == id_number
        }
        Role::Officer => match principal.agency.as_deref() {
            None => true,
            Some(own) => agencies.contains(&own),
        },
        Role::Archivist | Role::Admin => true,
    }
}

/// Whether a business with tax code `own` covers `code`: its own, and with `branches` those of
/// its branches and dependent units (`<own>-NNN`, Circular 105/2020/TT-BTC).
pub fn covers(own: &str, branches: bool, code: &str) -> bool {
    code == own
        || (branches
            && !own.contains('-')
            && code
                .strip_prefix(own)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit())))
}

/// Why a principal may not file a dossier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitRefusal {
    /// The role does not file dossiers.
    #[error("a {0} token cannot submit dossiers")]
    Role(Role),
    /// A business or citizen filing for someone else.
    #[error("the applicant must be the token's own {0}")]
    NotOwnApplicant(&'static str),
}

/// Whether `principal` may file a dossier for `applicant`: a business for itself, a citizen for
/// themself, an officer or admin for anyone (intake at the counter).
pub fn check_can_submit(principal: &Principal, applicant: &Applicant) -> Result<(), SubmitRefusal> {
    match principal.role {
        Role::Business => match (applicant.tax_code(), &principal.tax_code) {
            (Some(a), Some(own)) if covers(own.as_str(), principal.branches, a.as_str()) => Ok(()),
            _ => Err(SubmitRefusal::NotOwnApplicant("tax code")),
        },
        Role::Citizen => match (applicant.id_number(), &principal.id_number) {
            (Some(a), Some(own)) if a == own => Ok(()),
            _ => Err(SubmitRefusal::NotOwnApplicant("identification number")),
        },
        Role::Officer | Role::Admin => Ok(()),
        Role::Archivist => Err(SubmitRefusal::Role(Role::Archivist)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dossier::{IdNumber, TaxCode};

    fn principal(role: Role, tax: Option<&str>) -> Principal {
        Principal {
            token_id: "t".into(),
            role,
            tax_code: tax.map(|t| TaxCode::parse(t).unwrap()),
            id_number: None,
            agency: None,
            name: None,
            branches: false,
        }
    }

    #[test]
    fn a_business_sees_only_its_own_tax_code() {
        let b = principal(Role::Business, Some("0101234567"));
        assert!(can_see(&b, Some("0101234567"), None, &[]));
        assert!(!can_see(&b, Some("0109999999"), None, &[]));
        assert!(!can_see(&b, None, Some("001203004567"), &[]));
        assert!(can_see(
            &principal(Role::Officer, None),
            Some("0109999999"),
            None,
            &["Sở Y tế"]
        ));
    }

    #[test]
    fn a_business_files_only_for_itself_and_archivists_not_at_all() {
        let b = principal(Role::Business, Some("0101234567"));
        let own = Applicant::Business {
            tax_code: TaxCode::parse("0101234567").unwrap(),
            name: "A".into(),
        };
        let other = Applicant::Business {
            tax_code: TaxCode::parse("0109999999").unwrap(),
            name: "B".into(),
        };
        let citizen = Applicant::Citizen {
            id_number: IdNumber::parse("001203004567").unwrap(),
            name: "C".into(),
        };
        assert_eq!(check_can_submit(&b, &own), Ok(()));
        assert!(check_can_submit(&b, &other).is_err());
        assert!(check_can_submit(&b, &citizen).is_err());
        assert!(check_can_submit(&principal(Role::Officer, None), &other).is_ok());
        assert_eq!(
            check_can_submit(&principal(Role::Archivist, None), &own),
            Err(SubmitRefusal::Role(Role::Archivist))
        );
    }
}
