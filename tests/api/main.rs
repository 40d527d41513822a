//! motcua's integration tests: the app on port 0, spoken to over HTTP, on the backend chosen by
//! `MOTCUA_TEST_BACKEND` (see `support`). One binary, to keep link time low.

mod support;

mod access;
mod appearance;
mod archive;
mod concurrency;
pub mod disposal;
mod documents;
mod failures;
mod fixity;
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
mod ops;
mod originals;
mod overload;
mod part_rights;
mod pdf_signatures;
mod pkcs11;
mod pkits;
mod pyhanko;
mod render;
mod restart;
mod results;
mod retention;
mod scans;
mod search;
mod signatures;
mod signing;
pub mod tamper;
mod timestamps;
mod workflow;
