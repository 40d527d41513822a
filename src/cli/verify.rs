//! `motcua verify`: a signed file (PDF, CMS, or a detached signature) against a trust store.

use std::process::ExitCode;

use super::input_error;

#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// What the signature is validated against (without --trust: MOTCUA_BUSINESS_TRUST, or
    /// MOTCUA_AGENCY_TRUST with --agency).
    #[command(flatten)]
    pub(crate) trust: super::TrustArgs,
    /// Validate at this time (RFC 3339) instead of the signing time.
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// Print one JSON report on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Without --trust, use the agency trust store (MOTCUA_AGENCY_TRUST) instead of the
    /// business one (MOTCUA_BUSINESS_TRUST).
    #[arg(long)]
    pub(crate) agency: bool,
    /// A detached signature (.p7s) over FILE.
    #[arg(long, value_name = "SIGNATURE")]
    pub(crate) detached: Option<std::path::PathBuf>,
    /// The signed file (or the signature itself when it encapsulates its content).
    pub(crate) file: std::path::PathBuf,
}

/// `motcua verify`.
pub(crate) fn verify_file(args: VerifyArgs) -> ExitCode {
    use motcua::signature::Indication;
    let revocation = args.trust.revocation_or(motcua::pki::RevocationMode::Soft);
    let at = match args.at.as_deref().map(motcua::timestamp::Timestamp::parse) {
        None => None,
        Some(Ok(t)) => Some(t.as_offset_date_time().unix_timestamp()),
        Some(Err(e)) => return input_error(format!("--at: {e}")),
    };
    let mut trust = args.trust.clone();
    let default_store = if args.agency {
        "MOTCUA_AGENCY_TRUST"
    } else {
        "MOTCUA_BUSINESS_TRUST"
    };
    if trust.trust.is_empty()
        && let Ok(p) = std::env::var(default_store)
    {
        trust.trust.push(p.into());
    }
    let store = match trust.store() {
        Ok(s) => s,
        Err(e) => return input_error(e),
    };
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let file = match read(&args.file) {
        Ok(b) => b,
        Err(e) => return input_error(e),
    };
    let options = motcua::signature::VerifyOptions {
        store,
        revocation,
        at,
        algorithms: motcua::pki::AlgorithmPolicy::default(),
        ocsp: true,
    };
    let detached = match args.detached.as_deref().map(read).transpose() {
        Ok(d) => d,
        Err(e) => return input_error(e),
    };
    let outcome = motcua::signature::verify_document(&file, detached.as_deref(), &options);
    let report = match outcome {
        Ok(r) => r,
        Err(e) => return input_error(e.to_string()),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.to_text());
    }
    match report.indication {
        Indication::TotalPassed => ExitCode::SUCCESS,
        Indication::TotalFailed => ExitCode::from(1),
        Indication::Indeterminate => ExitCode::from(2),
    }
}
