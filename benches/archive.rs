//! Archive benchmark (run by `scripts/bench-archive.sh`): N records of two files each (KIB KiB
//! per file) are imported (`archive import`'s code), exported as one bag (`archive export`'s)
//! and the bag checked offline (`archive verify`'s), on the embedded defaults (SQLite and a
//! local directory). Beside each figure, the physical limits measured in the same run on the
//! same bytes: copying the files (std::fs::copy) and hashing them (SHA-256), since an import
//! copies and hashes, an export copies and re-hashes, and a check hashes.
//!
//! `cargo bench --bench archive -- N KIB`

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use motcua::archive::check::check_bag;
use motcua::archive::export::Exporter;
use motcua::archive::import::{Importer, read_csv};
use motcua::auth::{NewToken, Principal, Role};
use motcua::config::{ServeArgs, StoreArgs};
use motcua::dossier::DossierService;
use sha2::Digest as _;

fn mib_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / seconds
}

/// Writes the old archive: `n` records, two files each of `kib` KiB (a PDF header, then
/// pseudo-random bytes), and its CSV. Returns the files' paths and their total size.
fn old_archive(dir: &Path, n: u64, kib: usize) -> (Vec<std::path::PathBuf>, u64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = std::fs::File::create(dir.join("records.csv")).unwrap();
    writeln!(
        csv,
        "file,source_code,procedure,applicant_name,tax_code,submitted_on,closed_on"
    )
    .unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut files = Vec::new();
    let mut total = 0;
    for i in 0..n {
        for part in 0..2 {
            let name = format!("r{i:06}-{part}.pdf");
            let mut bytes = b"%PDF-1.7\n".to_vec();
            bytes.resize(kib * 1024, 0);
            for b in bytes.iter_mut().skip(9) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            std::fs::write(dir.join(&name), &bytes).unwrap();
            total += bytes.len() as u64;
            files.push(dir.join(&name));
            writeln!(
                csv,
                "{name},HS-{i:06},business-registration,Công ty {i},0101234565,2014-03-03,2014-03-20"
            )
            .unwrap();
        }
    }
    (files, total)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(500);
    let kib: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(256);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/archive");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let (files, bytes) = old_archive(&root.join("old"), n, kib);

    // The limits: copy every file, hash every file.
    let copies = root.join("copies");
    std::fs::create_dir_all(&copies).unwrap();
    let started = Instant::now();
    for f in &files {
        std::fs::copy(f, copies.join(f.file_name().unwrap())).unwrap();
    }
    let copy_s = started.elapsed().as_secs_f64();
    // Durably: each copy flushed to the disk, as motcua stores (and exports) every object.
    let durable = root.join("durable");
    std::fs::create_dir_all(&durable).unwrap();
    let started = Instant::now();
    for f in &files {
        let to = durable.join(f.file_name().unwrap());
        std::fs::copy(f, &to).unwrap();
        std::fs::File::open(&to).unwrap().sync_all().unwrap();
    }
    let durable_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for f in &files {
        let digest = sha2::Sha256::digest(std::fs::read(f).unwrap());
        std::hint::black_box(digest);
    }
    let hash_s = started.elapsed().as_secs_f64();

    // motcua on the embedded defaults.
    let settings = ServeArgs {
        store: StoreArgs {
            data: Some(root.join("data")),
            ..StoreArgs::default()
        },
        unit_code: Some("BENCH".into()),
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap();
    let (db, store) = motcua::app::open(&settings.store).await.unwrap();
    let ledger = motcua::app::open_ledger(&settings, db.clone())
        .await
        .unwrap();
    let dossiers = DossierService::new(
        db.clone(),
        store.clone(),
        Arc::new(motcua::app::catalogue(&settings).unwrap()),
        settings.unit_code.clone(),
        settings.limits,
    );
    let catalogue = dossiers.catalogue();
    let records = read_csv(
        &std::fs::read(root.join("old/records.csv")).unwrap(),
        &root.join("old"),
        &catalogue,
    )
    .unwrap();
    let (run, _) = motcua::auth::Tokens::new(db.clone())
        .create(&NewToken {
            role: Role::Archivist,
            tax_code: None,
            id_number: None,
            agency: None,
            name: Some("bench".into()),
            branches: false,
            unit: None,
        })
        .await
        .unwrap();

    let importer = Importer::new(db.clone(), store.clone(), settings.unit_code.clone());
    let started = Instant::now();
    let report = importer.run(&records, &run, &mut ()).await.unwrap();
    let import_s = started.elapsed().as_secs_f64();
    assert_eq!(report.imported, n);

    ledger.publish_checkpoint().await.unwrap();
    let principal = Principal {
        token_id: run.clone(),
        role: Role::Archivist,
        tax_code: None,
        id_number: None,
        agency: None,
        branches: false,
        name: None,
        unit: None,
    };
    let exporter = Exporter::new(dossiers, ledger);
    let bag_dir = root.join("bag");
    let started = Instant::now();
    let planned = exporter.plan(&principal, &report.dossiers).await.unwrap();
    let plan_s = started.elapsed().as_secs_f64();
    planned
        .bag
        .write_dir(&store, &bag_dir, &mut ())
        .await
        .unwrap();
    let export_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let checked = check_bag(&bag_dir, None).unwrap();
    let check_s = started.elapsed().as_secs_f64();
    assert!(checked.is_valid(), "{:?}", checked.problems);

    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{n} records, {} files of {kib} KiB, {mib:.0} MiB in all\n",
        files.len()
    );
    println!("| step | time | MiB/s | records/s | vs copying | vs durable copying | vs SHA-256 |");
    println!("|---|---|---|---|---|---|---|");
    let row = |step: &str, s: f64| {
        println!(
            "| {step} | {s:.2} s | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} |",
            mib_per_s(bytes, s),
            n as f64 / s,
            copy_s / s,
            durable_s / s,
            hash_s / s
        );
    };
    row("copy (std::fs::copy), the limit", copy_s);
    row("copy and fsync each file, the limit", durable_s);
    row("SHA-256, the limit", hash_s);
    row("import (store, record, log)", import_s);
    row(
        &format!("export (plan {plan_s:.2} s, then write and re-hash)"),
        export_s,
    );
    row("verify the bag offline", check_s);
    let _ = std::fs::remove_dir_all(&root);
}
