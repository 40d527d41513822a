//! The `motcua` command line, one file per command: argument handling, progress, exit codes and
//! what each prints. Everything it does is the library's (`motcua::…`).

pub(crate) mod account;
pub(crate) mod archive;
pub(crate) mod cert;
pub(crate) mod ledger;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod sign;
pub(crate) mod token;
pub(crate) mod unit;
pub(crate) mod verify;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use motcua::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Command-line tools die quietly when their output pipe closes (`motcua ... | head`), as Unix
/// tools do, instead of panicking on a failed print. Not for `serve`: a client closing its
/// connection must never kill the server.
pub(crate) fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default at start-up, before other threads
    // exist, has no memory-safety implications.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

pub(crate) fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("MOTCUA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,aws=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

/// Exit status for "ran, and found something wrong" (verification failures).
pub(crate) const FOUND_PROBLEMS: u8 = 1;
/// Exit status for "could not run" (bad arguments, unreachable database, ...).
pub(crate) const COULD_NOT_RUN: u8 = 2;
/// Exit status of the signature and certificate verifiers for unreadable input.
pub(crate) const INPUT_ERROR: u8 = 3;

pub(crate) fn input_error(message: String) -> ExitCode {
    eprintln!("motcua: error: {message}");
    ExitCode::from(INPUT_ERROR)
}

/// What a signature or a certificate is validated against: declared once, flattened into
/// `verify`, `sign` (for B-LT) and `cert verify`.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct TrustArgs {
    /// Trust anchors: a PEM/DER file (PEM may hold several) or a folder. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub(crate) trust: Vec<std::path::PathBuf>,
    /// Untrusted certificates for path building (intermediates, CRL signers). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub(crate) certs: Vec<std::path::PathBuf>,
    /// CRLs (DER or PEM), files or folders. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub(crate) crl: Vec<std::path::PathBuf>,
    /// Revocation checking: require (unknown status fails), soft (unknown status is a warning)
    /// or off. [default: soft; require for `sign --level B-LT`]
    #[arg(long, value_name = "require|soft|off")]
    pub(crate) revocation: Option<motcua::pki::RevocationMode>,
}

impl TrustArgs {
    /// The trust store these name.
    pub(crate) fn store(&self) -> Result<motcua::pki::Store, String> {
        load_store(&self.trust, &self.certs, &self.crl)
    }

    /// The revocation mode asked for, else `default`.
    pub(crate) fn revocation_or(
        &self,
        default: motcua::pki::RevocationMode,
    ) -> motcua::pki::RevocationMode {
        self.revocation.unwrap_or(default)
    }
}

fn load_store(
    trust: &[std::path::PathBuf],
    certs: &[std::path::PathBuf],
    crls: &[std::path::PathBuf],
) -> Result<motcua::pki::Store, String> {
    let mut store = motcua::pki::Store::default();
    for p in trust {
        store
            .anchors
            .extend(motcua::pki::load::certs(p).map_err(|e| e.to_string())?);
    }
    for p in certs {
        store
            .certs
            .extend(motcua::pki::load::certs(p).map_err(|e| e.to_string())?);
    }
    for p in crls {
        store
            .crls
            .extend(motcua::pki::load::crls(p).map_err(|e| e.to_string())?);
    }
    Ok(store)
}
