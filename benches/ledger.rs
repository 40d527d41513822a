//! Integrity-log benchmark (run by `scripts/bench-ledger.sh`): appends per second (batched, one
//! durable commit per batch, and one entry per commit), inclusion and consistency proof latency
//! at the final size, and whole-log verification speed (entries, hash chain, tree, checkpoints;
//! object fixity is measured by the script beside sha256sum).
//!
//! `cargo bench --bench ledger -- <sqlite|postgres> <entries> <batch>`; PostgreSQL needs
//! `MOTCUA_TEST_DATABASE_URL` (an admin URL; a fresh database is created and dropped).

use std::time::{Duration, Instant};

use motcua::db::Db;
use motcua::ledger::{self, EntryDraft, EntryKind, Ledger, LogSigner};
use motcua::storage::{LocalStore, ObjectStore, Sha256Digest};
use motcua::timestamp::Timestamp;
use sqlx::{ConnectOptions as _, Connection as _, Executor as _};

/// An entry of typical size (~250 bytes, like a `document_stored` entry). It is a
/// `record_read`, whose records verification does not look up: the benchmark has no rows.
fn draft(i: u64) -> EntryDraft {
    EntryDraft::new(EntryKind::RecordRead)
        .text("reader", format!("00000000-0000-4000-8000-{:012x}", i / 3))
        .text("document", format!("00000000-0000-4000-9000-{i:012x}"))
        .text("sha256", Sha256Digest::of(&i.to_le_bytes()).to_hex())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: nothing to do then.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "ledger benchmark: run it with `cargo bench --bench ledger` (scripts/bench-ledger.sh)"
        );
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let backend = args
        .first()
        .map(String::as_str)
        .unwrap_or("sqlite")
        .to_owned();
    let entries: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let batch: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();

    let (url, cleanup) = match backend.as_str() {
        "sqlite" => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
            None,
        ),
        "postgres" => {
            let admin =
                std::env::var("MOTCUA_TEST_DATABASE_URL").expect("MOTCUA_TEST_DATABASE_URL");
            let name = format!("motcua_bench_{}", std::process::id());
            let mut c = sqlx::postgres::PgConnectOptions::from_url(&admin.parse().unwrap())
                .unwrap()
                .connect()
                .await
                .unwrap();
            c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            c.close().await.unwrap();
            let base = admin.rsplit_once('/').unwrap().0.to_owned();
            (format!("{base}/{name}"), Some((admin, name)))
        }
        other => panic!("unknown backend {other}"),
    };
    let db = Db::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let ledger = Ledger::open(
        db.clone(),
        "bench/log",
        LogSigner::generate("bench/log").unwrap(),
    )
    .await
    .unwrap();

    // Appends, batched: one transaction (one durable commit) per batch.
    let started = Instant::now();
    let mut next = 0u64;
    while next < entries {
        let n = batch.min(entries - next);
        let drafts: Vec<EntryDraft> = (next..next + n).map(draft).collect();
        let mut tx = db.begin().await.unwrap();
        ledger::append(&mut tx, &Timestamp::now(), &drafts)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        next += n;
    }
    let batched = entries as f64 / started.elapsed().as_secs_f64();

    // Appends, one entry per transaction (the rate one request at a time would see).
    let singles = 2000u64;
    let started = Instant::now();
    for i in 0..singles {
        let mut tx = db.begin().await.unwrap();
        ledger::append(&mut tx, &Timestamp::now(), &[draft(entries + i)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let single = singles as f64 / started.elapsed().as_secs_f64();
    let size = entries + singles;
    let cp = ledger.publish_checkpoint().await.unwrap();
    assert_eq!(cp.size, size);

    // Proof latency at the final size: random leaves and random older sizes.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let samples = 2000;
    let mut inclusion = Vec::with_capacity(samples);
    let mut consistency = Vec::with_capacity(samples);
    for _ in 0..samples {
        let i = rand(size);
        let t = Instant::now();
        let proof = ledger.inclusion_proof(i, size).await.unwrap();
        inclusion.push(t.elapsed());
        assert!(!proof.is_empty());
        let m = 1 + rand(size - 1);
        let t = Instant::now();
        ledger.consistency_proof(m, size).await.unwrap();
        consistency.push(t.elapsed());
    }
    inclusion.sort();
    consistency.sort();

    // Whole-log verification without fixity (the script measures fixity).
    let store = ObjectStore::Local(std::sync::Arc::new(
        LocalStore::open(dir.path().join("objects")).await.unwrap(),
    ));
    let started = Instant::now();
    let report = motcua::audit::verify(
        &db,
        &store,
        motcua::ledger::verify::VerifyOptions {
            key: ledger.verifier(),
            external_checkpoints: vec![],
            fixity: false,
        },
        |_, _| {},
    )
    .await
    .unwrap();
    let verify_secs = started.elapsed().as_secs_f64();
    assert!(report.is_ok(), "{:?}", report.problems.first());
    assert_eq!(report.entries, size);

    println!(
        "| {backend} | {size} | {batched:.0} (batches of {batch}) | {single:.0} | {:.3} / {:.3} | {:.3} / {:.3} | {:.0} |",
        percentile(&inclusion, 0.5),
        percentile(&inclusion, 0.99),
        percentile(&consistency, 0.5),
        percentile(&consistency, 0.99),
        size as f64 / verify_secs,
    );

    db.close().await;
    if let Some((admin, name)) = cleanup {
        let mut c = sqlx::postgres::PgConnectOptions::from_url(&admin.parse().unwrap())
            .unwrap()
            .connect()
            .await
            .unwrap();
        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .await
            .unwrap();
    }
}
