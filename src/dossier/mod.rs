//! Dossiers (hồ sơ): intake, the rules on who may file and see what, and reading them back.
//!
//! Owns: the domain values (tax codes, dossier codes, applicants), the procedure catalogue,
//! access decisions, and the intake that streams files into the object store and then records the
//! dossier in one database transaction. Never reaches: axum or JSON wire types (that is `http`),
//! SQL text (that is `db`), S3 calls (that is `storage`).

pub mod access;
pub mod catalogue;
mod filing;
pub mod intake;
pub mod model;
pub mod originals;
pub mod retention;
mod search;
pub mod service;
pub mod signatures;
pub mod supplement;
pub mod transitions;

pub use crate::vocabulary::{
    Applicant, ApplicantKind, DossierCode, DossierStatus, IdNumber, InvalidField, TaxCode, UnitCode,
};
pub use catalogue::{Catalogue, Procedure, ProvisionLevel};
pub use intake::{IntakeError, IntakeLimits, PendingDossier};
pub use model::{
    Document, Dossier, DossierError, DossierPage, DossierQuery, DossierRead, Part, SignatureSummary,
};
pub use search::PublicStatus;
pub use service::DossierService;
pub use transitions::{AgencyDeadlines, Deadlines, MoveRequest, Transition};
