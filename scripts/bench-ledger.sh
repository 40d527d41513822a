#!/usr/bin/env bash
# Integrity-log benchmark: appends per second, proof latency at 1 million entries and whole-log
# verification speed on SQLite and PostgreSQL (benches/ledger.rs), then object fixity speed of
# `motcua ledger verify` beside `sha256sum` over the same stored files, in the same run.
# Prints a Markdown report and writes it to target/bench/ledger.md.
#
# Usage: scripts/bench-ledger.sh [entries]   (default 1000000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
entries=${1:-1000000}
out_dir=target/bench
mkdir -p "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench-ledger.XXXXXX")
server_pid=""
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
log() { printf 'bench: %s\n' "$*" >&2; }

pg_env=$(scripts/pg.sh)
eval "$pg_env"
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-target}/release/motcua

rows=()
for backend in sqlite postgres; do
    log "ledger: $backend, $entries entries"
    rows+=("$(cargo bench --locked -q --bench ledger -- "$backend" "$entries" 1000 2>/dev/null | grep '^|')")
done

# Fixity: 8 objects of 128 MiB stored through the API, then verified.
"$bin" serve --listen 127.0.0.1:0 --data "$work/data" --max-file-size 1GiB >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
    grep -q '^motcua listening on ' "$work/server.out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/^motcua listening on //p' "$work/server.out")
token=$("$bin" token create --role officer --data "$work/data" | tail -n 1)
for i in $(seq 1 8); do
    f=$work/object-$i.tif
    printf 'II*\0' >"$f"
    head -c $((128 * 1024 * 1024 - 4)) /dev/urandom >>"$f"
    curl -sf -o /dev/null -H "Authorization: Bearer $token" \
        -F 'dossier={"procedure":"business-registration","applicant":{"tax_code":"0101234565","name":"Bench"}};type=application/json' \
        -F "file=@$f;type=image/tiff" "$base/api/v1/dossiers"
    rm -f "$f"
done
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
objects=("$work"/data/objects/objects/sha256/*/*)
total_mib=$(du -cm "${objects[@]}" | tail -n 1 | cut -f1)
sha256sum "${objects[@]}" >/dev/null # warm the page cache for both
t0=$(date +%s.%N)
sha256sum "${objects[@]}" >/dev/null
t1=$(date +%s.%N)
"$bin" ledger verify --data "$work/data" >"$work/verify.out"
t2=$(date +%s.%N)
grep -q '^OK' "$work/verify.out"
sha_mibs=$(awk -v s="$t0" -v e="$t1" -v m="$total_mib" 'BEGIN {printf "%.0f", m / (e - s)}')
verify_mibs=$(awk -v s="$t1" -v e="$t2" -v m="$total_mib" 'BEGIN {printf "%.0f", m / (e - s)}')
ratio=$(awk -v a="$verify_mibs" -v b="$sha_mibs" 'BEGIN {printf "%.0f%%", 100 * a / b}')

report=$out_dir/ledger.md
{
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores."
    echo
    echo "| database | entries | appends/s, batched (one durable commit per batch) | appends/s, one per commit | inclusion proof p50 / p99 (ms) | consistency proof p50 / p99 (ms) | verification (entries/s, no fixity) |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Fixity over ${total_mib} MiB of stored objects (page cache warm for both):"
    echo "\`motcua ledger verify\` ${verify_mibs} MiB/s (the whole check, log included) beside"
    echo "\`sha256sum\` ${sha_mibs} MiB/s over the same files: ${ratio}."
} | tee "$report"
