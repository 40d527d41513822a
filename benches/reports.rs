//! Report benchmark (run by `scripts/bench-reports.sh`): N generated dossiers over 100 units
//! (a province, 9 districts, 90 communes) and the four catalogue procedures, received over the
//! year to 1 December 2026 and a month before it, settled or refused within 14 days (a fifth of them after their due day), 2%
//! left open, one in ten asked for a supplement; their moves (received, supplement request,
//! the closing move). Then the year's processing report of the province (2026, as a whole and
//! by month) through `report::Reports`, as the API and `motcua report` make it, beside two
//! peers on the same table in the same run: `COUNT(*)` and a full scan reading every row.
//!
//! `cargo bench --bench reports -- DATABASE_URL N`

use std::time::{Duration, Instant};

use motcua::db::Db;
use motcua::report::{GroupBy, Range, Reader, Reports};
use sqlx::Executor as _;
use time::macros::date;

const PROCEDURES: [&str; 4] = [
    "business-registration",
    "birth-registration",
    "permanent-residence",
    "health-insurance-card",
];

/// The 100 units, index 0 the province, 1-9 its districts, 10-99 ten communes under each.
fn units() -> Vec<(String, &'static str, Option<String>)> {
    let mut out = vec![("B".to_owned(), "province", None)];
    for d in 0..9 {
        out.push((format!("B.D{d}"), "district", Some("B".to_owned())));
    }
    for d in 0..9 {
        for w in 0..10 {
            out.push((format!("B.D{d}.W{w}"), "commune", Some(format!("B.D{d}"))));
        }
    }
    out
}

/// Fills the database with `n` dossiers (if it has none), in one statement per table.
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
    assert_eq!(count, 0, "a partly seeded database: drop it and run again");
    let sqlite = url.starts_with("sqlite:");
    let started = Instant::now();
    pool.execute(
        "INSERT INTO api_tokens (id, token_hash, role, created_at) VALUES \
         ('bench', 'bench', 'officer', '2026-01-01T00:00:00.000000Z') ON CONFLICT DO NOTHING",
    )
    .await
    .unwrap();
    pool.execute("CREATE TABLE bench_units (i BIGINT PRIMARY KEY, code TEXT NOT NULL)")
        .await
        .unwrap();
    for (i, (code, level, parent)) in units().into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO units (code, name, level, parent_code, created_by, created_at, \
             ledger_index) VALUES ($1, $1, $2, $3, 'bench', '2026-01-01T00:00:00.000000Z', 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&code)
        .bind(level)
        .bind(parent)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO bench_units (i, code) VALUES ($1, $2)")
            .bind(i as i64)
            .bind(&code)
            .execute(&pool)
            .await
            .unwrap();
    }
    // Per n: r, the day received (days from 2026-01-01: -30 to 334, i.e. 2025-12-02 to
    // 2026-12-01); c, the days to its end (0 to 13); closed when that end is by 1 December and
    // n is not a multiple of 50; due ten days after receipt.
    let (series, hex, day) = if sqlite {
        (
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}), \
                 v AS (SELECT n, (n * 7919) % 365 - 30 AS r, (n * 31) % 14 AS c FROM s)"
            ),
            "printf('%032x', n)",
            "date('2026-01-01', (X) || ' days')",
        )
    } else {
        (
            format!(
                "WITH s(n) AS (SELECT generate_series(CAST(1 AS BIGINT), {n})), \
                 v AS (SELECT n, (n * 7919) % 365 - 30 AS r, (n * 31) % 14 AS c FROM s)"
            ),
            "lpad(to_hex(n), 32, '0')",
            "to_char(date '2026-01-01' + CAST(X AS INTEGER), 'YYYY-MM-DD')",
        )
    };
    let day = |x: &str| day.replace('X', x);
    let closed = "(r + c <= 334 AND n % 50 <> 0)";
    let procedure = format!(
        "CASE (n / 100) % 4 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' ELSE '{}' END",
        PROCEDURES[0], PROCEDURES[1], PROCEDURES[2], PROCEDURES[3]
    );
    let id = format!("substr({hex}, 1, 8) || '-0000-4000-8000-' || substr({hex}, 21, 12)");
    let received = day("r");
    let ended = day("r + c");
    let due = day("r + 10");
    pool.execute(sqlx::AssertSqlSafe(format!(
        "{series} INSERT INTO dossiers (id, code, procedure_code, status, applicant_kind, \
         applicant_tax_code, applicant_id_number, applicant_name, details, submitted_by, \
         submitted_at, updated_at, ledger_index, unit_code, channel, received_on, closed_on, \
         due_on) \
         SELECT {id}, 'BENCH-' || {hex}, {procedure}, \
         CASE WHEN NOT {closed} THEN 'PROCESSING' WHEN n % 17 = 0 THEN 'REJECTED' \
         ELSE 'RETURNED' END, 'citizen', NULL, '001203004567', 'Bench', '{{}}', 'bench', \
         {received} || 'T03:00:00.000000Z', {received} || 'T03:00:00.000000Z', n, b.code, \
         CASE WHEN n % 3 = 0 THEN 'counter' ELSE 'online' END, {received}, \
         CASE WHEN {closed} THEN {ended} END, {due} \
         FROM v JOIN bench_units b ON b.i = v.n % 100"
    )))
    .await
    .unwrap();
    // The moves: received (all), a supplement request two days later (one in ten), and the
    // closing move.
    for (what, to, at, filter) in [
        ("r", "'RECEIVED'", received.clone(), "1 = 1".to_owned()),
        (
            "s",
            "'SUPPLEMENT_REQUESTED'",
            day("r + 2"),
            "n % 10 = 0".to_owned(),
        ),
        (
            "c",
            "CASE WHEN n % 17 = 0 THEN 'REJECTED' ELSE 'RESULT_ISSUED' END",
            ended.clone(),
            closed.to_owned(),
        ),
    ] {
        pool.execute(sqlx::AssertSqlSafe(format!(
            "{series} INSERT INTO dossier_transitions (id, dossier_id, version, from_status, \
             to_status, actor, at, ledger_index) \
             SELECT '{what}' || {id}, {id}, CASE '{what}' WHEN 'r' THEN 2 WHEN 's' THEN 3 \
             ELSE 9 END, 'RECEIVED', {to}, 'officer', {at} || 'T04:00:00.000000Z', n \
             FROM v WHERE {filter}"
        )))
        .await
        .unwrap();
    }
    // Fresh statistics for both planners, and the state a database in service is in: SQLite's
    // log written back into the database, as its automatic checkpoints keep it (a 1 GiB
    // write-ahead log is a bulk load's); PostgreSQL's visibility map set, as autovacuum keeps
    // it (index-only scans need it).
    if sqlite {
        pool.execute("ANALYZE").await.unwrap();
        pool.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
    } else {
        pool.execute("VACUUM ANALYZE").await.unwrap();
    }
    eprintln!(
        "seeded {n} dossiers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    pool.close().await;
}

/// The median and the fastest of `runs` runs of `f` (after one to warm the cache).
async fn timed<F, Fut, T>(runs: usize, mut f: F) -> (Duration, Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut last = f().await;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        last = f().await;
        times.push(started.elapsed());
    }
    times.sort();
    (times[runs / 2], times[0], last)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [url, n] = &args[..] else {
        println!("report benchmark: run it with scripts/bench-reports.sh");
        return;
    };
    let n: u64 = n.parse().unwrap();
    let db = Db::connect(url, 4).await.unwrap();
    db.migrate().await.unwrap();
    seed(url, n).await;

    let reports = Reports::new(db.clone(), motcua::unit::Units::new(db.clone()));
    let runs = 7;
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let (count_p50, count_min, count) = timed(runs, || async {
        let (c,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dossiers")
            .fetch_one(&pool)
            .await
            .unwrap();
        c
    })
    .await;
    let (scan_p50, scan_min, _) = timed(runs, || async {
        let (c,): (i64,) =
            sqlx::query_as("SELECT CAST(SUM(LENGTH(applicant_name)) AS BIGINT) FROM dossiers")
                .fetch_one(&pool)
                .await
                .unwrap();
        c
    })
    .await;
    println!("dossiers: {count}; units: 100; procedures: 4\n");
    println!("| what | median of {runs} | fastest | ÷ full scan (medians) | rows |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| `SELECT COUNT(*) FROM dossiers` | {} | {} | {:.2} | 1 |",
        ms(count_p50),
        ms(count_min),
        count_p50.as_secs_f64() / scan_p50.as_secs_f64()
    );
    println!(
        "| full scan (`SUM(LENGTH(applicant_name))`) | {} | {} | 1.00 | 1 |",
        ms(scan_p50),
        ms(scan_min)
    );
    // Each of the report's counts alone, for the year by month.
    let units: Vec<String> = units().into_iter().map(|(code, _, _)| code).collect();
    let months: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}-28")).collect();
    let instants: Vec<String> = (1..=13)
        .map(|m| format!("2026-{:02}-01T00:00:00.000000Z", m.min(12)))
        .collect();
    let (t, _, r) = timed(3, || async {
        db.received_by_month(&units, "2026-01-01", "2026-12-31")
            .await
            .unwrap()
            .len()
    })
    .await;
    eprintln!("  received_by_month: {} ({r} rows)", ms(t));
    let (t, _, r) = timed(3, || async {
        db.closed_by_month(&units, "2026-01-01", "2026-12-31", "REJECTED")
            .await
            .unwrap()
            .len()
    })
    .await;
    eprintln!("  closed_by_month: {} ({r} rows)", ms(t));
    let (t, _, r) = timed(3, || async {
        db.open_at(&units, "2026-12-31", "2026-12-02")
            .await
            .unwrap()
            .len()
    })
    .await;
    eprintln!("  open_at: {} ({r} rows)", ms(t));
    let (t, _, r) = timed(3, || async {
        db.late_by_due_day(&units, &months).await.unwrap().len()
    })
    .await;
    eprintln!("  late_by_due_day: {} ({r} rows)", ms(t));
    let (t, _, r) = timed(3, || async {
        db.moves_by_bucket(&units, "SUPPLEMENT_REQUESTED", &instants)
            .await
            .unwrap()
            .len()
    })
    .await;
    eprintln!("  moves_by_bucket: {} ({r} rows)", ms(t));
    for group_by in [GroupBy::None, GroupBy::Month] {
        let range = Range::new(date!(2026 - 01 - 01), date!(2026 - 12 - 31), group_by).unwrap();
        let (p50, min, report) = timed(runs, || async {
            reports
                .processing_on(Reader::Cli, Some("B"), range, date!(2026 - 12 - 02))
                .await
                .unwrap()
        })
        .await;
        println!(
            "| year report of the province, group_by={} | {} | {} | {:.2} | {} |",
            group_by.as_str(),
            ms(p50),
            ms(min),
            p50.as_secs_f64() / scan_p50.as_secs_f64(),
            report.rows.len()
        );
        let t = report.total;
        eprintln!(
            "  total ({}): received {} (carried {}, online {}, counter {}), settled {} on time / \
             {} late, refused {}, open {} in time / {} overdue, supplements {}",
            group_by.as_str(),
            t.received,
            t.carried_over,
            t.received_online,
            t.received_counter,
            t.settled_on_time,
            t.settled_late,
            t.refused,
            t.in_progress_on_time,
            t.overdue,
            t.supplements_requested
        );
    }
    pool.close().await;
}
