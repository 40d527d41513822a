//! `motcua cert verify`: build and validate a certification path (RFC 5280 §6).

use std::process::ExitCode;

use super::{FOUND_PROBLEMS, input_error};

#[derive(clap::Subcommand)]
pub(crate) enum CertCommand {
    /// Build and validate a certification path (RFC 5280 §6) for CERT. Exit 0 when valid, 1 when
    /// not (with the reason), 3 when an input cannot be read.
    Verify {
        /// What the certificate is validated against (--trust is required).
        #[command(flatten)]
        trust: super::TrustArgs,
        /// Validation time (RFC 3339). [default: now]
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// An acceptable policy OID (user-initial-policy-set). Repeatable. [default: anyPolicy]
        #[arg(long, value_name = "OID")]
        policy: Vec<String>,
        /// initial-explicit-policy.
        #[arg(long)]
        explicit_policy: bool,
        /// initial-policy-mapping-inhibit.
        #[arg(long)]
        inhibit_policy_mapping: bool,
        /// initial-any-policy-inhibit.
        #[arg(long)]
        inhibit_any_policy: bool,
        /// Accept SHA-1 signatures in the path (legacy CAs; refused by default).
        #[arg(long)]
        allow_sha1: bool,
        /// Print one JSON report on stdout.
        #[arg(long)]
        json: bool,
        /// The certificate (PEM or DER).
        cert: std::path::PathBuf,
    },
}

/// `motcua cert verify`.
pub(crate) fn run(command: CertCommand) -> ExitCode {
    let CertCommand::Verify {
        trust,
        at,
        policy,
        explicit_policy,
        inhibit_policy_mapping,
        inhibit_any_policy,
        allow_sha1,
        json,
        cert,
    } = command;

    if trust.trust.is_empty() {
        return input_error("--trust is required: the trust anchors to validate against".into());
    }
    let revocation = trust.revocation_or(motcua::pki::RevocationMode::Soft);
    let time = match at {
        None => time::OffsetDateTime::now_utc().unix_timestamp(),
        Some(t) => match motcua::timestamp::Timestamp::parse(&t) {
            Ok(t) => t.as_offset_date_time().unix_timestamp(),
            Err(e) => return input_error(format!("--at: {e}")),
        },
    };
    let store = match trust.store() {
        Ok(s) => s,
        Err(e) => return input_error(e),
    };
    let ee = match std::fs::read(&cert)
        .map_err(|e| format!("{}: {e}", cert.display()))
        .and_then(|b| motcua::pki::Cert::parse(&b).map_err(|e| format!("{}: {e}", cert.display())))
    {
        Ok(c) => c,
        Err(e) => return input_error(e),
    };
    let params = motcua::pki::ValidationParams {
        time,
        user_initial_policy_set: policy,
        initial_explicit_policy: explicit_policy,
        initial_policy_mapping_inhibit: inhibit_policy_mapping,
        initial_any_policy_inhibit: inhibit_any_policy,
        revocation,
        algorithms: motcua::pki::AlgorithmPolicy { allow_sha1 },
        ocsp: true,
    };
    let outcome = motcua::pki::validate(&ee, &store, &params);
    let subject = motcua::pki::identity::identity(&ee);
    let report = match &outcome {
        Ok(path) => serde_json::json!({
            "valid": true,
            "subject": subject,
            "path": path.certs.iter().map(motcua::pki::identity::identity).collect::<Vec<_>>(),
            "warnings": path.warnings,
        }),
        Err(e) => serde_json::json!({
            "valid": false,
            "subject": subject,
            "error": {"class": e.class(), "message": e.to_string()},
        }),
    };
    if json {
        println!("{report:#}");
    } else {
        match &outcome {
            Ok(path) => {
                println!("VALID: {}", subject.subject);
                for c in path.certs.iter().rev().skip(1) {
                    println!("  issued by: {}", c.subject);
                }
                for w in &path.warnings {
                    println!("WARNING: {w}");
                }
            }
            Err(e) => println!("INVALID: {e}"),
        }
    }
    if outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FOUND_PROBLEMS)
    }
}
