//! Search benchmark (run by `scripts/bench-search.sh`): a generated data set of N dossiers (one
//! document each, a result for every tenth), then every search the archive offers, each run
//! many times with random values, through `Db::list_dossiers` exactly as `GET /api/v1/dossiers`
//! runs it (a page of 50, newest first). Prints p50, p99 and the worst per search.
//!
//! `cargo bench --bench search -- DATABASE_URL N`

use std::time::{Duration, Instant};

use motcua::db::{Db, DossierFilter};
use sqlx::Executor as _;

const PROCEDURES: [&str; 4] = [
    "business-registration",
    "birth-registration",
    "permanent-residence",
    "health-insurance-card",
];
const STATUSES: [&str; 5] = [
    "RECEIVED",
    "ACCEPTED",
    "PROCESSING",
    "RESULT_ISSUED",
    "RETURNED",
];

/// Fills the database with `n` dossiers (if it has fewer), in one statement per table.
async fn seed(url: &str, n: u64) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dossiers")
        .fetch_one(&pool)
        .await
        .unwrap();
    if count as u64 >= n {
        pool.close().await;
        return;
    }
    let sqlite = url.starts_with("sqlite:");
    let started = Instant::now();
    pool.execute(
        "INSERT INTO api_tokens (id, token_hash, role, created_at) VALUES \
         ('bench', 'bench', 'officer', '2026-01-01T00:00:00.000000Z') ON CONFLICT DO NOTHING",
    )
    .await
    .unwrap();
    // n → a spread of values: the day (over ~3 years), the applicant, the procedure, the status.
    let (series, hex64, pad7, pad10, pad12) = if sqlite {
        (
            format!(
                "WITH RECURSIVE s(n) AS (SELECT {count} + 1 UNION ALL SELECT n + 1 FROM s \
                 WHERE n < {n})"
            ),
            "printf('%064x', n)",
            "printf('%07d', n)",
            "printf('%010d', n % 200000)",
            "printf('%012d', n % 300000)",
        )
    } else {
        (
            format!("WITH s(n) AS (SELECT generate_series({count} + 1, {n}))"),
            "lpad(to_hex(n), 64, '0')",
            "lpad(n::text, 7, '0')",
            "lpad((n % 200000)::text, 10, '0')",
            "lpad((n % 300000)::text, 12, '0')",
        )
    };
    let day = if sqlite {
        "strftime('%Y-%m-%dT%H:%M:%S.000000Z', '2024-01-01', '+' || (n * 97 % 94608000) || ' seconds')"
    } else {
        "to_char(timestamp '2024-01-01' + (n * 97 % 94608000) * interval '1 second', \
         'YYYY-MM-DD\"T\"HH24:MI:SS.000000\"Z\"')"
    };
    let procedure = format!(
        "CASE n % 4 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' ELSE '{}' END",
        PROCEDURES[0], PROCEDURES[1], PROCEDURES[2], PROCEDURES[3]
    );
    let status = format!(
        "CASE n % 5 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' WHEN 3 THEN '{}' ELSE '{}' END",
        STATUSES[0], STATUSES[1], STATUSES[2], STATUSES[3], STATUSES[4]
    );
    let id = format!("'00000000-0000-4000-8000-' || substr({hex64}, 53, 12)");
    pool.execute(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO dossiers (id, code, procedure_code, status, applicant_kind, \
         applicant_tax_code, applicant_id_number, applicant_name, details, submitted_by, \
         submitted_at, updated_at, ledger_index) \
         SELECT {id}, 'BENCH-' || {pad7}, {procedure}, {status}, \
         CASE WHEN n % 4 = 0 THEN 'business' ELSE 'citizen' END, \
         CASE WHEN n % 4 = 0 THEN {pad10} END, CASE WHEN n % 4 <> 0 THEN {pad12} END, \
         'Bench', '{{}}', 'bench', {day}, {day}, n FROM s"
    )))
    .await
    .unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO objects (sha256, size, created_at) \
         SELECT {hex64}, 1000, '2026-01-01T00:00:00.000000Z' FROM s"
    )))
    .await
    .unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO documents (id, dossier_id, position, filename, media_type, size, \
         sha256, created_at, ledger_index) \
         SELECT {id}, {id}, 0, 'a.pdf', 'application/pdf', 1000, {hex64}, \
         '2026-01-01T00:00:00.000000Z', n FROM s"
    )))
    .await
    .unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO results (id, code, dossier_id, seq, kind, title, sha256, size, \
         agency, signer, level, issued_by, issued_at, ledger_index) \
         SELECT {id}, 'BENCH-' || {pad7} || '-KQ1', {id}, 1, 'dossier_receipt', 'x', {hex64}, \
         1000, 'a', 's', 'B-B', 'bench', '2026-01-01T00:00:00.000000Z', n FROM s WHERE n % 10 = 0"
    )))
    .await
    .unwrap();
    // Fresh statistics for both planners.
    pool.execute("ANALYZE").await.unwrap();
    eprintln!(
        "seeded {} dossiers in {:.1} s",
        n - count as u64,
        started.elapsed().as_secs_f64()
    );
    pool.close().await;
}

/// A search: its filter, from random values.
type Search<'a> = Box<dyn Fn(&mut Rng) -> DossierFilter + 'a>;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [url, n] = &args[..] else {
        println!("search benchmark: run it with scripts/bench-search.sh");
        return;
    };
    let n: u64 = n.parse().unwrap();
    let db = Db::connect(url, 4).await.unwrap();
    db.migrate().await.unwrap();
    seed(url, n).await;

    let hex = |v: u64| format!("{v:064x}");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let searches: Vec<(&str, Search<'_>)> = vec![
        (
            "dossier code",
            Box::new(|r| DossierFilter {
                code: Some(format!("BENCH-{:07}", 1 + r.below(n))),
                ..Default::default()
            }),
        ),
        (
            "result code",
            Box::new(|r| DossierFilter {
                result_code: Some(format!("BENCH-{:07}-KQ1", 10 * (1 + r.below(n / 10)))),
                ..Default::default()
            }),
        ),
        (
            "tax code",
            Box::new(|r| DossierFilter {
                tax_code: Some(format!("{:010}", 4 * r.below(50_000))),
                ..Default::default()
            }),
        ),
        (
            "id number",
            Box::new(|r| DossierFilter {
                id_number: Some(format!("{:012}", 1 + 4 * r.below(75_000))),
                ..Default::default()
            }),
        ),
        (
            "document SHA-256",
            Box::new(move |r| DossierFilter {
                document_sha256: Some(hex(1 + r.below(n))),
                ..Default::default()
            }),
        ),
        (
            "procedure + status",
            Box::new(|r| DossierFilter {
                procedure_code: Some(PROCEDURES[r.below(4) as usize].into()),
                status: Some(STATUSES[r.below(5) as usize].into()),
                ..Default::default()
            }),
        ),
        (
            "agency (procedures or parts)",
            Box::new(|r| DossierFilter {
                procedure_codes: Some(vec![PROCEDURES[r.below(4) as usize].into()]),
                part_agency: Some("Công an cấp xã".into()),
                ..Default::default()
            }),
        ),
        (
            "date range (one week)",
            Box::new(|r| {
                let day = r.below(1000);
                let from = time::macros::date!(2024 - 01 - 01) + time::Duration::days(day as i64);
                let to = from + time::Duration::days(7);
                DossierFilter {
                    submitted_from: Some(format!("{from}T00:00:00.000000Z")),
                    submitted_to: Some(format!("{to}T00:00:00.000000Z")),
                    ..Default::default()
                }
            }),
        ),
        (
            "status + date range (one month)",
            Box::new(|r| {
                let day = r.below(1000);
                let from = time::macros::date!(2024 - 01 - 01) + time::Duration::days(day as i64);
                let to = from + time::Duration::days(30);
                DossierFilter {
                    status: Some(STATUSES[r.below(5) as usize].into()),
                    submitted_from: Some(format!("{from}T00:00:00.000000Z")),
                    submitted_to: Some(format!("{to}T00:00:00.000000Z")),
                    ..Default::default()
                }
            }),
        ),
    ];
    let runs = 300;
    println!("| search | p50 | p99 | worst | rows (last) |");
    println!("|---|---:|---:|---:|---:|");
    for (name, make) in &searches {
        let mut times = Vec::with_capacity(runs);
        let mut rows = 0;
        for _ in 0..runs {
            let mut filter = make(&mut rng);
            filter.limit = 51;
            let started = Instant::now();
            rows = db.list_dossiers(&filter).await.unwrap().len();
            times.push(started.elapsed());
        }
        times.sort();
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        println!(
            "| {name} | {} | {} | {} | {rows} |",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap())
        );
    }
    db.close().await;
}
