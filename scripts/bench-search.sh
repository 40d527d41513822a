#!/usr/bin/env bash
# Search benchmark: N generated dossiers (default 1,000,000; one document each, a result for
# every tenth) on SQLite and on PostgreSQL, then every archive search 300 times with random
# values, through the same query `GET /api/v1/dossiers` runs (a page of 50, newest first).
# Target (issue 7): p99 under 100 ms at 1 million dossiers on both databases.
# Usage: scripts/bench-search.sh [N]      Prints a Markdown report (target/bench/search.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000000}
out_dir=target/bench
mkdir -p "$out_dir"
sqlite_file="$out_dir/search-$n.db"
eval "$(scripts/pg.sh)"
pg_db="motcua_bench_search_$n"
psql -q "$MOTCUA_TEST_DATABASE_URL" -c "CREATE DATABASE $pg_db" 2>/dev/null || true
pg_url="${MOTCUA_TEST_DATABASE_URL%/*}/$pg_db"

cargo bench --locked -q --bench search --no-run 2>/dev/null
run() { cargo bench --locked -q --bench search -- "$1" "$n" 2>&1 | grep -v '^$'; }
report=$(
    printf '### Search — %s, %s dossiers\n\n' "$(date -u +%Y-%m-%d)" "$n"
    printf '#### SQLite (`%s`)\n\n' "$sqlite_file"
    run "sqlite://$sqlite_file?mode=rwc"
    printf '\n#### PostgreSQL 15 (%s)\n\n' "$pg_db"
    run "$pg_url"
    printf '\nCommand: `scripts/bench-search.sh %s` (seeding is done once and kept).\n' "$n"
)
printf '%s\n' "$report" | tee "$out_dir/search.md"
