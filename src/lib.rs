//! motcua: the document-management and digital-signature service behind public one-stop
//! counters (bộ phận một cửa). See `ARCHITECTURE.md` for the map of this crate.

#![warn(missing_docs)]

pub mod app;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod config;
pub mod content;
pub mod db;
pub mod dossier;
pub mod gate;
pub mod http;
pub mod http_client;
pub mod ledger;
pub mod notify;
pub mod pdf;
pub mod pki;
pub mod report;
pub mod result;
pub mod signature;
pub mod storage;
pub mod timestamp;
pub mod unit;
pub mod vocabulary;
pub mod workflow;
