#!/usr/bin/env bash
# Report benchmark: N generated dossiers (default 1,000,000) over 100 units and 4 procedures,
# received over a year, with their moves, on SQLite and on PostgreSQL; then the province's
# processing report for 2026 (whole year, and by month) beside COUNT(*) and a full scan of the
# same table in the same run. Target (issue 15 §3): under a second.
# Usage: scripts/bench-reports.sh [N]      Prints a Markdown report (target/bench/reports.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000000}
out_dir=${CARGO_TARGET_DIR:-target}/bench
mkdir -p "$out_dir"
sqlite_file="$out_dir/reports-$n.db"
eval "$(scripts/pg.sh)"
pg_db="motcua_bench_reports_$n"
psql -q "$MOTCUA_TEST_DATABASE_URL" -c "CREATE DATABASE $pg_db" 2>/dev/null || true
pg_url="${MOTCUA_TEST_DATABASE_URL%/*}/$pg_db"

cargo bench --locked -q --bench reports --no-run 2>/dev/null
run() { cargo bench --locked -q --bench reports -- "$1" "$n" 2>&1 | grep -v '^$'; }
report=$(
    printf '### Reports — %s, %s dossiers, %s cores\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$n" "$(nproc)"
    printf '#### SQLite (`%s`)\n\n' "$sqlite_file"
    run "sqlite://$sqlite_file?mode=rwc"
    printf '\n#### PostgreSQL (%s)\n\n' "$pg_db"
    run "$pg_url"
    printf '\nCommand: `scripts/bench-reports.sh %s` (seeding is done once and kept).\n' "$n"
)
printf '%s\n' "$report" | tee "$out_dir/reports.md"
