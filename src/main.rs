//! The `motcua` command: `serve`, `migrate`, `token`, `unit`, `report`, `gc`, `verify`, `sign`,
//! `cert`, `ledger`, `archive`, `openapi`. Each command lives in its own file under `cli/`; this file only parses
//! the arguments and hands them over.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use motcua::config::{ServeArgs, StoreArgs};

use cli::COULD_NOT_RUN;

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
    Token(cli::token::TokenCommand),
    /// People's accounts: create, list.
    #[command(subcommand)]
    Account(cli::account::AccountCommand),
    /// Administrative units: add, list, publish.
    #[command(subcommand)]
    Unit(cli::unit::UnitCommand),
    /// The one-stop processing figures of a unit and the units below it, per procedure and
    /// period (as GET /api/v1/reports/processing): a table, or --csv or --json.
    Report(cli::report::ReportArgs),
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
    Verify(cli::verify::VerifyArgs),
    /// Sign a PDF with a key (PAdES B-B, B-T with --tsa, B-LT with --level B-LT; SubFilter
    /// ETSI.CAdES.detached, incremental update; invisible, or a visible block with --visible;
    /// a certified copy of a scan with --certified-copy). Exit 0 when OUT is written, 2 when the
    /// TSA gives no usable token, 3 when an input is unusable.
    Sign(cli::sign::SignArgs),
    /// Certificates: validate one against trust anchors (RFC 5280).
    #[command(subcommand)]
    Cert(cli::cert::CertCommand),
    /// The integrity log: verify it, check a document proof, print its key.
    #[command(subcommand)]
    Ledger(cli::ledger::LedgerCommand),
    /// The archive: export dossiers as self-verifying BagIt bags, check a bag offline, import
    /// the records of an existing paper archive.
    #[command(subcommand)]
    Archive(cli::archive::ArchiveCommand),
    /// Print the OpenAPI document.
    Openapi,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        cli::restore_sigpipe();
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
        Command::Serve(args) => done(cli::serve::serve(args).await),
        Command::Migrate(store) => done(cli::serve::migrate(store).await),
        Command::Gc { store, grace_secs } => done(cli::serve::gc(store, grace_secs).await),
        Command::Token(command) => done(cli::token::run(command).await),
        Command::Unit(command) => done(cli::unit::run(command).await),
        Command::Account(command) => done(cli::account::run(command).await),
        Command::Report(args) => done(cli::report::run(args).await),
        Command::Verify(args) => Ok(cli::verify::verify_file(args)),
        Command::Sign(args) => Ok(cli::sign::sign_file(args)),
        Command::Cert(command) => Ok(cli::cert::run(command)),
        Command::Ledger(command) => cli::ledger::ledger(command).await,
        Command::Archive(command) => cli::archive::run(command).await,
        Command::Openapi => {
            println!("{}", motcua::http::openapi_json());
            Ok(ExitCode::SUCCESS)
        }
    }
}
