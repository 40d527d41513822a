//! motcua's integration tests: the app on port 0, spoken to over HTTP, on the backend chosen by
//! `MOTCUA_TEST_BACKEND` (see `support`). One binary, to keep link time low.

mod hostile;
mod support;

/// Every allocation is counted per thread, so tests can measure what parsing a file costs.
#[global_allocator]
static ALLOCATOR: hostile::Counting = hostile::Counting;

mod access;
mod access_matrix;
mod accounts;
mod admin_pages;
mod appearance;
mod archive;
mod archive_pages;
mod browser;
mod clear_errors;
mod concurrency;
mod cosign;
mod counter_pages;
pub mod disposal;
mod documents;
mod failures;
mod fixity;
mod hardening;
pub mod import;
mod intake;
mod intake_signatures;
mod interlinked;
mod large_upload;
pub mod ledger;
mod ltv;
mod notifications;
mod object_lock;
mod ocsp;
mod oidc;
mod ops;
mod originals;
mod overload;
mod pages;
mod part_rights;
mod pdf_signatures;
mod pkcs11;
mod pkits;
mod pyhanko;
mod render;
mod reports;
mod restart;
mod results;
mod retention;
mod scans;
mod search;
mod signatures;
pub mod signing;
pub mod tamper;
mod timestamps;
mod units;
mod walkthrough;
mod workflow;
