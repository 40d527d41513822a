//! The shared vocabulary at the floor of the crate: the identifiers, codes, statuses and
//! applicants every layer speaks, each parsed once at the boundary with the one rule it follows.
//!
//! Owns: `TaxCode`, `IdNumber` and their rules (`identifiers`); `UnitCode`, `UnitLevel`,
//! `DossierCode`, `Applicant`, `Channel`, `DossierStatus` (`dossier`). Never imports anything else of the crate: every
//! other module may import it, and it imports none of them (the `architecture` test holds it
//! to that).

pub mod dossier;
pub mod identifiers;

pub use dossier::{
    Applicant, ApplicantKind, Channel, DossierCode, DossierStatus, UnitCode, UnitLevel,
};
pub use identifiers::{IdNumber, InvalidField, TaxCode};
