//! `motcua archive ...`: export dossiers as BagIt bags, check a bag offline, import records of
//! an existing archive. (Part of the
//! binary, not the library: argument handling, progress and exit codes only.)

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use motcua::archive::bag::Progress;
use motcua::archive::check::check_bag;
use motcua::archive::export::{ExportError, Exporter};
use motcua::archive::import::{ImportProgress, Importer, read_csv};
use motcua::auth::{NewToken, Principal, Role};
use motcua::config::{ServeArgs, ServeSettings, StoreArgs};
use motcua::dossier::{DossierError, DossierService};
use motcua::ledger::Ledger;

use super::{FOUND_PROBLEMS, INPUT_ERROR};

// Parsed once at start: the size of the export variant (store settings) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(clap::Subcommand)]
pub enum ArchiveCommand {
    /// Export dossiers as a BagIt bag (RFC 8493) that proves itself: documents, results and
    /// signature reports under data/, each with its log entry, inclusion proof and a signed
    /// checkpoint under proofs/. Reads the database and the store; needs no log key (the
    /// service's signed checkpoints are used). Exit 0 when OUT is written, 1 when the export
    /// failed (an object altered or missing, the log not yet checkpointed), 3 on bad input.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// The procedure catalogue (for agency and retention in bag-info.txt). [default: the
        /// latest one published by an administrator, else the configured or built-in one]
        #[arg(long, value_name = "FILE")]
        procedures: Option<PathBuf>,
        /// A dossier code to export. Repeatable.
        #[arg(long, value_name = "CODE", required_unless_present = "query")]
        dossier: Vec<String>,
        /// Export every dossier this search finds, in the API's syntax
        /// (`procedure=1.001612&status=RETURNED&submitted_from=2026-01-01T00:00:00Z`).
        #[arg(long, value_name = "QUERY", conflicts_with = "dossier")]
        query: Option<String>,
        /// No progress bar. [default: a progress bar on stderr when it is a terminal]
        #[arg(long)]
        quiet: bool,
        /// A progress bar on stderr even when it is not a terminal.
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// The bag's folder; must not exist.
        out: PathBuf,
    },
    /// Import records of an existing paper archive: FOLDER's files, described by a CSV with the
    /// columns file, source_code, procedure, applicant_name, tax_code or id_number,
    /// submitted_on, closed_on (YYYY-MM-DD), and optionally title and component (the paper a
    /// file is, which may have a longer retention than the procedure). Rows sharing a source_code are
    /// one dossier; it arrives closed. Everything is checked before anything is written; a run
    /// can be repeated or resumed (records imported already are skipped). Exit 0 when done, 1
    /// when a record imported before now has other files or the run stopped, 3 on bad input.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// The procedure catalogue. [default: the latest published, else the configured or
        /// built-in one]
        #[arg(long, value_name = "FILE")]
        procedures: Option<PathBuf>,
        /// The metadata CSV.
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
        /// Code of the receiving unit: the imported dossiers' codes are
        /// <unit>-<YYMMDD of filing>-<sequence>. [default: as `serve`]
        #[arg(long, env = "MOTCUA_UNIT_CODE", value_name = "CODE")]
        unit_code: Option<String>,
        /// No progress bar. [default: a progress bar on stderr when it is a terminal]
        #[arg(long)]
        quiet: bool,
        /// A progress bar on stderr even when it is not a terminal.
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// The folder holding the files the CSV names.
        folder: PathBuf,
    },
    /// Check a bag offline: its manifests, and every proof against the log's verifier key.
    /// Exit 0 when everything holds, 1 with each problem otherwise, 3 when BAG is not a bag.
    Verify {
        /// The log's verifier key as the agency publishes it (text, or @FILE). [default: the
        /// key inside the bag, which proves the bag consistent but not who made it]
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
        /// Print one JSON report on stdout.
        #[arg(long)]
        json: bool,
        /// The bag's folder.
        bag: PathBuf,
    },
}

/// `1 record`, `2 records`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn input_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("motcua: {message}");
    ExitCode::from(INPUT_ERROR)
}

pub async fn run(command: ArchiveCommand) -> anyhow::Result<ExitCode> {
    match command {
        ArchiveCommand::Verify { key, json, bag } => Ok(verify(key, json, bag)),
        ArchiveCommand::Import {
            store,
            procedures,
            csv,
            unit_code,
            quiet,
            progress,
            folder,
        } => {
            let bar = progress || (!quiet && std::io::stderr().is_terminal());
            let settings = ServeArgs {
                store,
                procedures,
                unit_code,
                ..ServeArgs::default()
            };
            import(settings, csv, bar, folder).await
        }
        ArchiveCommand::Export {
            store,
            procedures,
            dossier,
            query,
            quiet,
            progress,
            out,
        } => {
            let bar = progress || (!quiet && std::io::stderr().is_terminal());
            export(store, procedures, dossier, query, bar, out).await
        }
    }
}

fn verify(key: Option<String>, json: bool, bag: PathBuf) -> ExitCode {
    let key = match key.map(|k| super::ledger::read_key(&k)).transpose() {
        Ok(k) => k,
        Err(e) => return input_error(format!("--key: {e:#}")),
    };
    let report = match check_bag(&bag, key.as_ref()) {
        Ok(r) => r,
        Err(e) => return input_error(e),
    };
    if json {
        let out = serde_json::json!({
            "bag": bag.display().to_string(),
            "valid": report.is_valid(),
            "problems": report.problems,
            "proven": report.proven.iter().map(|p| serde_json::json!({
                "path": p.path, "sha256": p.sha256, "log_index": p.index,
            })).collect::<Vec<_>>(),
            "described": report.described,
            "verifier_key": report.key,
            "key_from_bag": report.key_from_bag,
        });
        println!("{out:#}");
    } else {
        for p in &report.proven {
            println!("proven   {}  (log entry {})", p.path, p.index);
        }
        for d in &report.described {
            println!("listed   {d}  (a description: manifest only)");
        }
        for p in &report.problems {
            println!("PROBLEM  {p}");
        }
        if report.key_from_bag {
            println!(
                "note: checked against the key inside the bag ({}); pass --key with the \
                 key the agency publishes to know who made it",
                report.key
            );
        }
        if report.is_valid() {
            println!(
                "bag valid: {} files proven against the log, {} described",
                report.proven.len(),
                report.described.len()
            );
        } else {
            let n = report.problems.len();
            println!(
                "bag INVALID: {n} {}",
                if n == 1 { "problem" } else { "problems" }
            );
        }
    }
    if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FOUND_PROBLEMS)
    }
}

/// A progress bar on stderr, redrawn at most every 100 ms.
struct Bar {
    total_bytes: u64,
    total_files: u64,
    last: std::time::Instant,
}

impl Progress for Bar {
    fn advance(&mut self, bytes: u64, files_done: u64) {
        let done = files_done == self.total_files;
        if !done && self.last.elapsed() < std::time::Duration::from_millis(100) {
            return;
        }
        self.last = std::time::Instant::now();
        let width = 30;
        let filled = (bytes * width)
            .checked_div(self.total_bytes)
            .unwrap_or(width) as usize;
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        eprint!(
            "\r[{}{}] {files_done}/{} files, {:.1}/{:.1} MiB",
            "#".repeat(filled.min(30)),
            " ".repeat(30 - filled.min(30)),
            self.total_files,
            mib(bytes),
            mib(self.total_bytes),
        );
        if done {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

/// The settings, database, store and dossier service of a command that reads the catalogue
/// (the one named, else the latest published, else the configured or built-in one).
async fn open(args: ServeArgs) -> anyhow::Result<(ServeSettings, DossierService)> {
    let explicit_catalogue = args.procedures.is_some();
    let settings = args.resolve()?;
    let dossiers = motcua::app::open_dossiers(&settings).await?;
    if !explicit_catalogue {
        dossiers.refresh_catalogue().await?;
    }
    Ok((settings, dossiers))
}

/// Counts records on stderr.
struct RecordBar {
    total: u64,
}

impl ImportProgress for RecordBar {
    fn record_done(&mut self, done: u64, bytes: u64) {
        let width = 30u64;
        let filled = (done * width).checked_div(self.total).unwrap_or(width) as usize;
        eprint!(
            "\r[{}{}] {done}/{} records, {:.1} MiB stored",
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            self.total,
            bytes as f64 / (1024.0 * 1024.0)
        );
        if done == self.total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

async fn import(
    args: ServeArgs,
    csv: PathBuf,
    show_progress: bool,
    folder: PathBuf,
) -> anyhow::Result<ExitCode> {
    let text = match std::fs::read(&csv) {
        Ok(t) => t,
        Err(e) => return Ok(input_error(format!("{}: {e}", csv.display()))),
    };
    if !folder.is_dir() {
        return Ok(input_error(format!("{} is not a folder", folder.display())));
    }
    let (settings, dossiers) = open(args).await?;
    let records = match read_csv(&text, &folder, &dossiers.catalogue()) {
        Ok(r) => r,
        Err(e) => return Ok(input_error(e)),
    };
    let db = dossiers.db().clone();
    // The import run acts under a token of its own, revoked at once: the records it makes name
    // it as their submitter.
    let (run, _) = motcua::auth::Tokens::new(db.clone())
        .create(&NewToken {
            role: Role::Archivist,
            tax_code: None,
            id_number: None,
            agency: None,
            name: Some(format!(
                "archive import of {} ({})",
                csv.display(),
                motcua::timestamp::Timestamp::now()
            )),
            branches: false,
            unit: None,
        })
        .await?;
    db.revoke_token(&run, &motcua::timestamp::Timestamp::now().to_string())
        .await?;
    let importer = Importer::new(db, dossiers.store().clone(), settings.unit_code.clone());
    let mut bar = RecordBar {
        total: records.len() as u64,
    };
    let progress: &mut dyn ImportProgress = if show_progress { &mut bar } else { &mut () };
    let report = match importer.run(&records, &run, progress).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("motcua: import stopped (run it again to resume): {e}");
            return Ok(ExitCode::from(FOUND_PROBLEMS));
        }
    };
    // Where the bucket has Object Lock, the new records are locked for their retention.
    for id in &report.dossiers {
        dossiers.protect(id).await;
    }
    println!(
        "imported {} ({}, {} bytes); {} imported before, skipped",
        count(report.imported, "record"),
        count(report.files, "file"),
        report.bytes,
        report.skipped
    );
    for c in &report.conflicts {
        println!("CONFLICT {c}");
    }
    Ok(if report.conflicts.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FOUND_PROBLEMS)
    })
}

async fn export(
    store: StoreArgs,
    procedures: Option<PathBuf>,
    codes: Vec<String>,
    query: Option<String>,
    show_progress: bool,
    out: PathBuf,
) -> anyhow::Result<ExitCode> {
    if out.exists() {
        return Ok(input_error(format!(
            "{} already exists; choose a new folder",
            out.display()
        )));
    }
    let query = match query.as_deref().map(motcua::http::parse_search).transpose() {
        Ok(q) => q,
        Err(e) => return Ok(input_error(format!("--query: {e}"))),
    };
    let (_, dossiers) = open(ServeArgs {
        store,
        procedures,
        ..ServeArgs::default()
    })
    .await?;
    let db = dossiers.db().clone();
    let objects = dossiers.store().clone();
    let ledger = Ledger::reader(db.clone()).await?;
    // The command line acts as an archivist: it sees every dossier, and its reads are logged.
    let principal = Principal {
        token_id: "cli:archive-export".into(),
        role: Role::Archivist,
        tax_code: None,
        id_number: None,
        agency: None,
        branches: false,
        name: Some("motcua archive export".into()),
        unit: None,
    };
    let mut ids = Vec::new();
    match query {
        Some(mut q) => loop {
            q.limit = Some(200);
            let page = dossiers.list(&principal, q.clone()).await?;
            ids.extend(page.items.into_iter().map(|d| d.id));
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        },
        None => {
            for code in &codes {
                let q = motcua::http::parse_search(&format!(
                    "code={}",
                    percent_encoding::utf8_percent_encode(code, percent_encoding::NON_ALPHANUMERIC)
                ))
                .map_err(anyhow::Error::msg)?;
                match dossiers.list(&principal, q).await?.items.pop() {
                    Some(d) => ids.push(d.id),
                    None => return Ok(input_error(format!("no dossier {code}"))),
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(input_error("no dossier matches the query"));
    }
    let exporter = Exporter::new(dossiers, ledger);
    let bag = match exporter.plan(&principal, &ids).await {
        Ok(planned) => planned.bag,
        Err(ExportError::Dossier(DossierError::NotFound)) => {
            return Ok(input_error("a dossier vanished during the export"));
        }
        Err(e) => {
            eprintln!("motcua: export failed: {e}");
            return Ok(ExitCode::from(FOUND_PROBLEMS));
        }
    };
    let mut bar = Bar {
        total_bytes: bag.total_bytes(),
        total_files: bag.files.len() as u64,
        last: std::time::Instant::now() - std::time::Duration::from_secs(1),
    };
    let progress: &mut dyn Progress = if show_progress { &mut bar } else { &mut () };
    if let Err(e) = bag.write_dir(&objects, &out, progress).await {
        eprintln!("motcua: export failed, nothing written: {e}");
        return Ok(ExitCode::from(FOUND_PROBLEMS));
    }
    println!(
        "exported {} to {}: {}, {} bytes",
        count(ids.len() as u64, "dossier"),
        out.display(),
        count(bag.payload_files, "payload file"),
        bag.payload_bytes
    );
    Ok(ExitCode::SUCCESS)
}
