//! The `motcua` command: `serve`, `migrate`, `token`, `gc`, `verify`, `sign`, `cert`, `ledger`,
//! `archive`, `openapi`.

mod archive_cmd;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use motcua::auth::{NewToken, Role};
use motcua::config::{LogFormat, ServeArgs, StoreArgs};
use motcua::dossier::{IdNumber, TaxCode};
use motcua::ledger::VerifierKey;
use motcua::ledger::proof::{DocumentProof, verify_document_proof};
use motcua::ledger::verify;
use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Dossiers and digital signatures for one-stop counters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the largest variant (serve's settings) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service. With no settings: SQLite and a local object store in ./data,
    /// listening on 127.0.0.1:8080.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Remove orphaned objects (stored, but referenced by no record) and unfinished uploads.
    Gc {
        #[command(flatten)]
        store: StoreArgs,
        /// Only remove what is older than this many seconds.
        #[arg(long, default_value_t = 3600)]
        grace_secs: u64,
    },
    /// Verify a signed file: a CMS/PKCS#7 signature with its content, or a detached one with
    /// --detached. Exit 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 unreadable input.
    Verify(VerifyArgs),
    /// Sign a PDF with a key (PAdES B-B, B-T with --tsa, B-LT with --level B-LT; SubFilter
    /// ETSI.CAdES.detached, incremental update; invisible, or a visible block with --visible;
    /// a certified copy of a scan with --certified-copy). Exit 0 when OUT is written, 2 when the
    /// TSA gives no usable token, 3 when an input is unusable.
    Sign(SignArgs),
    /// Certificates: validate one against trust anchors (RFC 5280).
    #[command(subcommand)]
    Cert(CertCommand),
    /// The integrity log: verify it, check a document proof, print its key.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// The archive: export dossiers as self-verifying BagIt bags, check a bag offline, import
    /// the records of an existing paper archive.
    #[command(subcommand)]
    Archive(archive_cmd::ArchiveCommand),
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// Trust anchors: a PEM/DER file or a folder. Repeatable. [default: MOTCUA_BUSINESS_TRUST]
    #[arg(long, value_name = "PATH")]
    trust: Vec<std::path::PathBuf>,
    /// Untrusted certificates for path building. Repeatable.
    #[arg(long, value_name = "PATH")]
    certs: Vec<std::path::PathBuf>,
    /// CRLs (DER or PEM), files or folders. Repeatable.
    #[arg(long, value_name = "PATH")]
    crl: Vec<std::path::PathBuf>,
    /// Revocation checking: require, soft (unknown status is a warning) or off.
    #[arg(long, default_value = "soft", value_name = "MODE")]
    revocation: String,
    /// Validate at this time (RFC 3339) instead of the signing time.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Print one JSON report on stdout.
    #[arg(long)]
    json: bool,
    /// Without --trust, use the agency trust store (MOTCUA_AGENCY_TRUST) instead of the
    /// business one (MOTCUA_BUSINESS_TRUST).
    #[arg(long)]
    agency: bool,
    /// A detached signature (.p7s) over FILE.
    #[arg(long, value_name = "SIGNATURE")]
    detached: Option<std::path::PathBuf>,
    /// The signed file (or the signature itself when it encapsulates its content).
    file: std::path::PathBuf,
}

#[derive(clap::Args)]
struct SignArgs {
    /// The private key: a PEM file, a PKCS#12 file (.p12/.pfx) holding key and certificate, or
    /// an RFC 7512 `pkcs11:` URI (the key never leaves the token; PIN from
    /// MOTCUA_KEY_PASSPHRASE or --passphrase-file).
    #[arg(long, value_name = "KEY")]
    key: String,
    /// The PKCS#11 module for a `pkcs11:` key. [default: MOTCUA_PKCS11_MODULE, else SoftHSM2]
    #[arg(long, value_name = "LIB")]
    pkcs11_module: Option<std::path::PathBuf>,
    /// The signer's certificate (PEM). Not needed with a PKCS#12 key, nor with a token that
    /// holds it.
    #[arg(long, value_name = "CERT")]
    cert: Option<std::path::PathBuf>,
    /// Intermediate certificates (PEM) to include in the signature.
    #[arg(long, value_name = "CERTS")]
    chain: Option<std::path::PathBuf>,
    /// A file holding the PKCS#12 passphrase or the token PIN. [default: the
    /// MOTCUA_KEY_PASSPHRASE variable, or an empty passphrase]
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<std::path::PathBuf>,
    /// The name of the new signature field.
    #[arg(long, default_value = "Signature1", value_name = "NAME")]
    field: String,
    /// An RFC 3161 time-stamping authority (http:// URL): PAdES B-T, the signature carries a
    /// timestamp from it. Without it: B-B.
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// The PAdES level: B-B, B-T (needs --tsa) or B-LT (needs --tsa and --trust: the signature is
    /// validated now and the certificates, CRLs and OCSP responses go into the DSS).
    /// [default: B-T with --tsa, else B-B]
    #[arg(long, value_name = "LEVEL")]
    level: Option<String>,
    /// B-LT: trust anchors to validate the new signature against. Repeatable.
    #[arg(long, value_name = "PATH")]
    trust: Vec<std::path::PathBuf>,
    /// B-LT: CRLs (DER or PEM), files or folders. Repeatable.
    #[arg(long, value_name = "PATH")]
    crl: Vec<std::path::PathBuf>,
    /// B-LT: revocation checking, require or soft (unknown status is a warning).
    #[arg(long, default_value = "require", value_name = "MODE")]
    revocation: String,
    /// Draw a visible signature block naming this agency and the signing time (Decree
    /// 30/2020 style).
    #[arg(long, value_name = "NAME")]
    visible: Option<String>,
    /// Where the visible block goes: "x1,y1,x2,y2" in points. [default: top right]
    #[arg(long, value_name = "RECT", requires = "visible")]
    rect: Option<String>,
    /// The page of the visible block, from 1.
    #[arg(long, default_value_t = 1, value_name = "N", requires = "visible")]
    page: usize,
    /// A seal or signature image (PNG, transparency kept) drawn in the visible block.
    #[arg(long, value_name = "PNG", requires = "visible")]
    seal: Option<std::path::PathBuf>,
    /// How the signing time is shown (a `time` crate format description).
    #[arg(long, value_name = "PATTERN", default_value = motcua::signature::appearance::DEFAULT_TIME_PATTERN)]
    time_pattern: String,
    /// Issue a certified electronic copy (SAO Y) of a scanned original: IN may be a PDF or
    /// JPEG/PNG/TIFF images (turned into a PDF), stamped top right of page 1 with "SAO Y",
    /// this copying agency and the signing time.
    #[arg(long, value_name = "AGENCY", conflicts_with = "visible")]
    certified_copy: Option<String>,
    /// The PDF to sign (with --certified-copy also JPEG, PNG or TIFF).
    input: std::path::PathBuf,
    /// Where to write the signed PDF (written whole, then renamed into place).
    output: std::path::PathBuf,
}

#[derive(Subcommand)]
enum CertCommand {
    /// Build and validate a certification path (RFC 5280 §6) for CERT. Exit 0 when valid, 1 when
    /// not (with the reason), 3 when an input cannot be read.
    Verify {
        /// Trust anchors: a PEM/DER file (PEM may hold several) or a folder. Repeatable.
        #[arg(long, required = true, value_name = "PATH")]
        trust: Vec<std::path::PathBuf>,
        /// Untrusted certificates for path building (intermediates, CRL signers). Repeatable.
        #[arg(long, value_name = "PATH")]
        certs: Vec<std::path::PathBuf>,
        /// CRLs (DER or PEM), files or folders. Repeatable.
        #[arg(long, value_name = "PATH")]
        crl: Vec<std::path::PathBuf>,
        /// Revocation checking: require (unknown status fails), soft (unknown status warns) or off.
        #[arg(long, default_value = "soft", value_name = "MODE")]
        revocation: String,
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

#[derive(Subcommand)]
enum LedgerCommand {
    /// Verify the whole log (entries, hash chain, tree, checkpoints), the records it vouches
    /// for, and every stored object's SHA-256. Exit 0 when everything holds, 1 with a report of
    /// each problem otherwise, 2 when verification could not run.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// The verifier key checkpoints must be signed by (as published). [default: the key
        /// recorded in the database]
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
        /// A checkpoint kept outside the database (e.g. one published earlier), to detect a
        /// rollback of the database itself. Repeatable.
        #[arg(long, value_name = "FILE")]
        checkpoint: Vec<std::path::PathBuf>,
        /// Skip re-hashing the stored objects.
        #[arg(long)]
        no_fixity: bool,
    },
    /// Check a record's proof offline: a document's (GET /api/v1/documents/{id}/proof), an issued
    /// result's (GET /api/v1/results/{code}/proof) or a signature report's
    /// (GET /api/v1/signature-reports/{id}/proof).
    VerifyProof {
        /// The proof (JSON).
        file: std::path::PathBuf,
        /// The log's verifier key, as the agency publishes it (text, or @FILE).
        #[arg(long, value_name = "VKEY")]
        key: String,
        /// The document, result PDF or report itself: also check that its SHA-256 is the one
        /// logged.
        #[arg(long, value_name = "FILE")]
        document: Option<std::path::PathBuf>,
    },
    /// Print the log's verifier key (as recorded in the database).
    Key {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token. The token is printed as the last line; only its hash is stored.
    Create {
        /// business, citizen, officer, archivist or admin.
        #[arg(long)]
        role: String,
        /// The business's tax code (required for --role business).
        #[arg(long)]
        tax_code: Option<String>,
        /// The citizen's identification number (required for --role citizen).
        #[arg(long)]
        id_number: Option<String>,
        /// The agency or unit a staff member works for. An officer with an agency sees only the
        /// dossiers of the procedures the catalogue gives that agency (spelled as there).
        #[arg(long)]
        agency: Option<String>,
        /// A business token that also sees, and files for, the business's branches and
        /// dependent units (tax codes `<--tax-code>-NNN`).
        #[arg(long)]
        branches: bool,
        /// A display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Command-line tools die quietly when their output pipe closes (`motcua ... | head`), as Unix
/// tools do, instead of panicking on a failed print. Not for `serve`: a client closing its
/// connection must never kill the server.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default at start-up, before other threads
    // exist, has no memory-safety implications.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn init_logging(format: LogFormat) {
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
const FOUND_PROBLEMS: u8 = 1;
/// Exit status for "could not run" (bad arguments, unreachable database, ...).
const COULD_NOT_RUN: u8 = 2;
/// Exit status of the signature and certificate verifiers for unreadable input.
const INPUT_ERROR: u8 = 3;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        restore_sigpipe();
    }
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("motcua: error: {e:#}");
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let done = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    match cli.command {
        Command::Ledger(command) => ledger(command).await,
        Command::Archive(command) => archive_cmd::run(command).await,
        Command::Verify(args) => Ok(verify_file(args)),
        Command::Sign(args) => Ok(sign_file(args)),
        Command::Cert(CertCommand::Verify {
            trust,
            certs,
            crl,
            revocation,
            at,
            policy,
            explicit_policy,
            inhibit_policy_mapping,
            inhibit_any_policy,
            allow_sha1,
            json,
            cert,
        }) => {
            let input_error = |m: String| Ok(input_error(m));
            let revocation = match parse_revocation(&revocation) {
                Ok(r) => r,
                Err(e) => return input_error(e),
            };
            let time = match at {
                None => time::OffsetDateTime::now_utc().unix_timestamp(),
                Some(t) => match motcua::timestamp::Timestamp::parse(&t) {
                    Ok(t) => t.as_offset_date_time().unix_timestamp(),
                    Err(e) => return input_error(format!("--at: {e}")),
                },
            };
            let store = match load_store(&trust, &certs, &crl) {
                Ok(s) => s,
                Err(e) => return input_error(e),
            };
            let ee = match std::fs::read(&cert)
                .map_err(|e| format!("{}: {e}", cert.display()))
                .and_then(|b| {
                    motcua::pki::Cert::parse(&b).map_err(|e| format!("{}: {e}", cert.display()))
                }) {
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
            Ok(if outcome.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FOUND_PROBLEMS)
            })
        }
        other => done(run_other(other).await),
    }
}

fn read_key(text: &str) -> anyhow::Result<VerifierKey> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => text.to_owned(),
    };
    Ok(VerifierKey::parse(&text)?)
}

async fn ledger(command: LedgerCommand) -> anyhow::Result<ExitCode> {
    match command {
        LedgerCommand::Verify {
            store,
            key,
            checkpoint,
            no_fixity,
        } => {
            init_logging(LogFormat::Text);
            let settings = store.resolve()?;
            let (db, objects) = motcua::app::open(&settings).await?;
            let key = match key {
                Some(k) => read_key(&k)?,
                None => match db.ledger_key().await? {
                    Some(k) => VerifierKey::parse(&k)?,
                    None => anyhow::bail!("no log key is recorded in this database; give --key"),
                },
            };
            let mut external = Vec::new();
            for path in &checkpoint {
                let note = std::fs::read_to_string(path)
                    .with_context(|| format!("reading checkpoint {}", path.display()))?;
                external.push((format!("checkpoint {}", path.display()), note));
            }
            let terminal = std::io::stderr().is_terminal();
            let mut last = std::time::Instant::now();
            let report = verify::verify(
                &db,
                &objects,
                verify::VerifyOptions {
                    key: &key,
                    external_checkpoints: external,
                    fixity: !no_fixity,
                },
                |done, total| {
                    if terminal && (last.elapsed().as_millis() >= 200 || done == total) {
                        last = std::time::Instant::now();
                        let pct = (done * 100).checked_div(total).unwrap_or(100);
                        eprint!(
                            "\rfixity: {:.1} / {:.1} MiB ({pct}%)  ",
                            done as f64 / 1048576.0,
                            total as f64 / 1048576.0
                        );
                    }
                },
            )
            .await?;
            if terminal && !no_fixity {
                eprintln!();
            }
            println!(
                "entries: {}, checkpoints: {}, records: {}, objects: {} ({} bytes re-hashed)",
                report.entries, report.checkpoints, report.records, report.objects, report.bytes
            );
            if report.is_ok() {
                println!("OK: the log, its checkpoints, the records and the objects are intact");
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &report.problems {
                    println!("PROBLEM: {p}");
                }
                if report.unlisted > 0 {
                    println!("... and {} more problems", report.unlisted);
                }
                println!(
                    "FAILED: {} problem(s) found",
                    report.problems.len() + report.unlisted
                );
                Ok(ExitCode::from(FOUND_PROBLEMS))
            }
        }
        LedgerCommand::VerifyProof {
            file,
            key,
            document,
        } => {
            let key = read_key(&key)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let proof: DocumentProof = match serde_json::from_slice(&bytes) {
                Ok(p) => p,
                Err(e) => {
                    println!("FAILED: {} is not a record proof: {e}", file.display());
                    return Ok(ExitCode::from(FOUND_PROBLEMS));
                }
            };
            let sha = match &document {
                Some(path) => Some(sha256_file(path)?),
                None => None,
            };
            match verify_document_proof(&proof, &key, sha.as_deref()) {
                Ok(p) => {
                    println!(
                        "OK: {} {} (SHA-256 {}, {} bytes) is entry {} of log {} \
                         (checkpoint of {} entries, signed by {})",
                        proof
                            .format
                            .trim_start_matches("motcua-")
                            .trim_end_matches("-proof/v1"),
                        p.document,
                        p.sha256,
                        p.size,
                        p.index,
                        p.origin,
                        p.tree_size,
                        key.name()
                    );
                    if document.is_some() {
                        println!("OK: the file in hand is the one logged");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("FAILED: {e}");
                    Ok(ExitCode::from(FOUND_PROBLEMS))
                }
            }
        }
        LedgerCommand::Key { store } => {
            let settings = store.resolve()?;
            let (db, _) = motcua::app::open(&settings).await?;
            match db.ledger_key().await? {
                Some(k) => {
                    println!("{k}");
                    Ok(ExitCode::SUCCESS)
                }
                None => anyhow::bail!("no log key is recorded yet: start `motcua serve` once"),
            }
        }
    }
}

fn input_error(message: String) -> ExitCode {
    eprintln!("motcua: error: {message}");
    ExitCode::from(INPUT_ERROR)
}

fn parse_revocation(mode: &str) -> Result<motcua::pki::RevocationMode, String> {
    match mode {
        "require" => Ok(motcua::pki::RevocationMode::Require),
        "soft" => Ok(motcua::pki::RevocationMode::Soft),
        "off" => Ok(motcua::pki::RevocationMode::Off),
        other => Err(format!("--revocation {other:?}: use require, soft or off")),
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

/// `motcua verify`.
fn verify_file(args: VerifyArgs) -> ExitCode {
    use motcua::signature::Indication;
    let revocation = match parse_revocation(&args.revocation) {
        Ok(r) => r,
        Err(e) => return input_error(e),
    };
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
    if trust.is_empty()
        && let Ok(p) = std::env::var(default_store)
    {
        trust.push(p.into());
    }
    let store = match load_store(&trust, &args.certs, &args.crl) {
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

/// What `motcua sign` was asked to do, read from its arguments.
struct SignPlan {
    pdf: Vec<u8>,
    level: motcua::signature::sign::Level,
    validation: Option<motcua::signature::VerifyOptions>,
    appearance: Option<motcua::signature::appearance::Appearance>,
}

fn sign_plan(
    args: &SignArgs,
    input: Vec<u8>,
    now: time::OffsetDateTime,
) -> Result<SignPlan, String> {
    use motcua::signature::appearance::{Appearance, Placement};
    use motcua::signature::sign::Level;
    let level = match &args.level {
        Some(l) => l.parse::<Level>().map_err(|e| e.to_string())?,
        None if args.tsa.is_some() => Level::BT,
        None => Level::BB,
    };
    if level != Level::BB && args.tsa.is_none() {
        return Err(format!("--level {} needs --tsa", level.as_str()));
    }
    let validation = if level == Level::BLT {
        if args.trust.is_empty() {
            return Err("--level B-LT needs --trust".into());
        }
        let revocation = parse_revocation(&args.revocation)?;
        if revocation == motcua::pki::RevocationMode::Off {
            return Err("--level B-LT needs revocation data: --revocation require or soft".into());
        }
        Some(motcua::signature::VerifyOptions {
            store: load_store(&args.trust, &[], &args.crl)?,
            revocation,
            at: None,
            algorithms: motcua::pki::AlgorithmPolicy::default(),
            ocsp: true,
        })
    } else {
        None
    };
    let (pdf, appearance) = match &args.certified_copy {
        Some(agency) => {
            let pdf = match motcua::content::detect(&input) {
                Some(motcua::content::MediaType::Pdf) => input,
                Some(
                    motcua::content::MediaType::Jpeg
                    | motcua::content::MediaType::Png
                    | motcua::content::MediaType::Tiff,
                ) => motcua::pdf::image::images_to_pdf(&[&input])
                    .map_err(|e| format!("{}: {e}", args.input.display()))?,
                _ => {
                    return Err(format!(
                        "{}: a certified copy is made of a PDF, JPEG, PNG or TIFF scan",
                        args.input.display()
                    ));
                }
            };
            let stamp = Appearance::certified_copy(agency, now, &args.time_pattern)
                .map_err(|e| e.to_string())?;
            (pdf, Some(stamp))
        }
        None => {
            let appearance = match &args.visible {
                None => None,
                Some(agency) => {
                    let placement = match &args.rect {
                        None => Placement::TopRight {
                            width: 220.0,
                            height: 60.0,
                            margin: 36.0,
                        },
                        Some(r) => {
                            let v: Vec<f32> = r
                                .split(',')
                                .map(|p| p.trim().parse::<f32>())
                                .collect::<Result<_, _>>()
                                .map_err(|_| format!("--rect {r:?}: four numbers x1,y1,x2,y2"))?;
                            match v[..] {
                                [x1, y1, x2, y2] if x2 > x1 && y2 > y1 => {
                                    Placement::Rect([x1, y1, x2, y2])
                                }
                                _ => {
                                    return Err(format!(
                                        "--rect {r:?}: four numbers x1,y1,x2,y2 with x2 > x1 and y2 > y1"
                                    ));
                                }
                            }
                        }
                    };
                    let mut a = Appearance::signed_by(agency, now, &args.time_pattern, placement)
                        .map_err(|e| e.to_string())?;
                    a.page = args.page;
                    if let Some(p) = &args.seal {
                        a.image =
                            Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?);
                    }
                    Some(a)
                }
            };
            (input, appearance)
        }
    };
    Ok(SignPlan {
        pdf,
        level,
        validation,
        appearance,
    })
}

fn sign_file(args: SignArgs) -> ExitCode {
    use motcua::signature::sign::{PdfSignOptions, SigningIdentity};
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let secret = match &args.passphrase_file {
        Some(p) => match read(p)
            .and_then(|b| String::from_utf8(b).map_err(|_| format!("{}: not UTF-8", p.display())))
        {
            Ok(s) => Some(s.trim_end_matches(['\r', '\n']).to_owned()),
            Err(e) => return input_error(e),
        },
        None => std::env::var("MOTCUA_KEY_PASSPHRASE").ok(),
    };
    let identity = SigningIdentity::load(
        &args.key,
        args.cert.as_deref(),
        args.chain.as_deref(),
        secret.as_deref(),
        args.pkcs11_module.as_deref(),
    )
    .map_err(|e| e.to_string());
    let identity = match identity {
        Ok(i) => i,
        Err(e) => return input_error(e),
    };
    let input = match read(&args.input) {
        Ok(b) => b,
        Err(e) => return input_error(e),
    };
    let now = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    let plan = match sign_plan(&args, input, now) {
        Ok(p) => p,
        Err(e) => return input_error(e),
    };
    let options = PdfSignOptions {
        time: now,
        field: &args.field,
        level: plan.level,
        tsa: args.tsa.as_deref(),
        validation: plan.validation.as_ref(),
        appearance: plan.appearance.as_ref(),
    };
    let signed = match motcua::signature::sign::sign_pdf_with(&plan.pdf, &identity, &options) {
        Ok(s) => s,
        // The TSA being unreachable or refusing is not the input's fault.
        Err(e @ motcua::signature::sign::SignError::Timestamp(_)) => {
            eprintln!("motcua: error: {e}");
            return ExitCode::from(COULD_NOT_RUN);
        }
        Err(e) => return input_error(format!("{}: {e}", args.input.display())),
    };
    // Never leave a half-written OUT: write beside it, then rename into place.
    let mut tmp = args.output.clone().into_os_string();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    if let Err(e) = std::fs::write(&tmp, &signed).and_then(|()| std::fs::rename(&tmp, &args.output))
    {
        let _ = std::fs::remove_file(&tmp);
        eprintln!("motcua: error: {}: {e}", args.output.display());
        return ExitCode::from(COULD_NOT_RUN);
    }
    eprintln!(
        "signed {} -> {} ({} bytes)",
        args.input.display(),
        args.output.display(),
        signed.len()
    );
    ExitCode::SUCCESS
}

fn sha256_file(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = motcua::storage::StreamingHasher::default();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finish().to_hex());
        }
        hasher.update(&buf[..n]);
    }
}

async fn run_other(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Ledger(_)
        | Command::Archive(_)
        | Command::Cert(_)
        | Command::Verify(_)
        | Command::Sign(_) => {
            unreachable!("handled by run()")
        }
        Command::Serve(args) => {
            let settings = args.resolve()?;
            init_logging(settings.log_format);
            let signals = motcua::app::ShutdownSignal::install()?;
            let server = motcua::app::Server::start(&settings).await?;
            let data = settings.store.data_dir.display();
            println!("motcua listening on http://{}", server.addr());
            println!("create a first token:  motcua token create --role officer --data {data}");
            println!("(with the same --database-url/--config when not on the embedded defaults)");
            signals.recv().await;
            tracing::info!("shutting down: finishing requests in flight");
            server.stop().await
        }
        Command::Migrate(store) => {
            init_logging(LogFormat::Text);
            let settings = store.resolve()?;
            motcua::app::open(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            role,
            tax_code,
            id_number,
            agency,
            branches,
            name,
            store,
        }) => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?} (business, citizen, officer, archivist, admin)")
            })?;
            let mut request = NewToken {
                role,
                tax_code: tax_code
                    .map(|t| TaxCode::parse(&t))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--tax-code: {}", e.rule))?,
                id_number: id_number
                    .map(|n| IdNumber::parse(&n))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--id-number: {}", e.rule))?,
                agency,
                name,
                branches,
            };
            let settings = store.resolve()?;
            let serve = motcua::config::ServeSettings {
                store: settings.clone(),
                ..ServeArgs::default().resolve()?
            };
            let (db, objects) = motcua::app::open(&settings).await?;
            // The agency is checked against the catalogue in force, as the API does: the
            // built-in (or --procedures) one, or the one an administrator published.
            let dossiers = motcua::dossier::DossierService::new(
                db.clone(),
                objects,
                std::sync::Arc::new(motcua::app::catalogue(&serve)?),
                serve.unit_code.clone(),
                serve.limits,
            );
            dossiers.refresh_catalogue().await?;
            let catalogue = dossiers.catalogue();
            request.validate(&|agency| catalogue.iter().any(|p| p.agency == agency))?;
            let secret = motcua::app::create_token(&db, &request).await?;
            let role = request.role.as_str();
            let article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            println!("created {article} {role} token; keep it secret, it is shown only once:");
            println!("{secret}");
            Ok(())
        }
        Command::Gc { store, grace_secs } => {
            init_logging(LogFormat::Text);
            let settings = store.resolve()?;
            let serve = motcua::config::ServeSettings {
                store: settings.clone(),
                ..ServeArgs::default().resolve()?
            };
            let (db, objects) = motcua::app::open(&settings).await?;
            let dossiers = motcua::dossier::DossierService::new(
                db,
                objects,
                std::sync::Arc::new(motcua::app::catalogue(&serve)?),
                serve.unit_code.clone(),
                serve.limits,
            );
            let report = dossiers
                .sweep_orphans(Duration::from_secs(grace_secs))
                .await?;
            println!(
                "examined {} objects, removed {} orphans and {} unfinished uploads",
                report.examined, report.orphans_removed, report.unfinished_removed
            );
            Ok(())
        }
        Command::Openapi => {
            println!("{}", motcua::http::openapi_json());
            Ok(())
        }
    }
}
