//! `motcua ledger`: verify the whole log and what it vouches for, check a proof offline, print the key.

use std::process::ExitCode;

use std::io::IsTerminal as _;

use anyhow::Context as _;
use motcua::audit;
use motcua::config::{LogFormat, StoreArgs};
use motcua::ledger::VerifierKey;
use motcua::ledger::proof::{DocumentProof, verify_document_proof};
use motcua::ledger::verify;

use super::{FOUND_PROBLEMS, init_logging};

#[derive(clap::Subcommand)]
pub(crate) enum LedgerCommand {
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

pub(crate) fn read_key(text: &str) -> anyhow::Result<VerifierKey> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => text.to_owned(),
    };
    Ok(VerifierKey::parse(&text)?)
}

pub(crate) async fn ledger(command: LedgerCommand) -> anyhow::Result<ExitCode> {
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
            let report = audit::verify(
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

pub(crate) fn sha256_file(path: &std::path::Path) -> anyhow::Result<String> {
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
