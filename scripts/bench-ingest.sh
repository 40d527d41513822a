#!/usr/bin/env bash
# Ingest benchmark: upload throughput and server peak memory for 1 MiB, 100 MiB and 1 GiB files,
# on the local store (SQLite) and on S3 (Garage + PostgreSQL), beside the machine's own limits
# measured in the same run: SHA-256 speed (openssl speed) and a raw fsync'd write of the same
# bytes to the same disk (dd). Prints a Markdown report and writes it to target/bench/ingest.md.
#
# Usage: scripts/bench-ingest.sh [local|s3|both]   (default both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
which_backends=${1:-both}

out_dir=target/bench
work=$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench.XXXXXX")
mkdir -p "$out_dir"
server_pid=""
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

log() { printf 'bench: %s\n' "$*" >&2; }

cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-target}/release/motcua

# --- Inputs: TIFF-headed random bytes, made once, on the disk the store writes to. ---------
declare -A SIZES=([1MiB]=1 [100MiB]=100 [1GiB]=1024)
declare -A REPEATS=([1MiB]=30 [100MiB]=5 [1GiB]=3)
for name in 1MiB 100MiB 1GiB; do
    f=$work/$name.tif
    printf 'II*\0' >"$f"
    head -c $((SIZES[$name] * 1024 * 1024 - 4)) /dev/urandom >>"$f"
done

# --- Machine limits, measured now. ----------------------------------------------------------
# openssl speed prints "sha256 ... <rate in 1000s of bytes per second for 1 MiB blocks>k".
sha_kbs=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null |
    awk '/^sha256/ {gsub("k","",$NF); print $NF}')
sha_mibs=$(awk -v k="$sha_kbs" 'BEGIN {printf "%.0f", k * 1000 / 1048576}')
log "SHA-256 ${sha_mibs} MiB/s"

# Seconds for a raw fsync'd write of a file to the same disk as the store.
raw_write() {
    local s e
    s=$(date +%s.%N)
    dd if="$1" of="$work/raw-write" bs=1M conv=fsync status=none
    e=$(date +%s.%N)
    rm -f "$work/raw-write"
    awk -v s="$s" -v e="$e" 'BEGIN {print e - s}'
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

mem_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# Starts the server with the given store arguments, sets $base and $server_pid.
start_server() {
    local log_file=$work/server.log
    "$bin" serve --listen 127.0.0.1:0 --max-file-size 2GiB --max-request-size 2GiB "$@" \
        >"$work/server.out" 2>"$log_file" &
    server_pid=$!
    for _ in $(seq 1 300); do
        if grep -q '^motcua listening on ' "$work/server.out" 2>/dev/null; then
            base=$(sed -n 's/^motcua listening on //p' "$work/server.out")
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { cat "$log_file" >&2; return 1; }
        sleep 0.1
    done
    log "server did not start"
    cat "$log_file" >&2
    return 1
}

stop_server() {
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Uploads one file; prints seconds.
upload() {
    local file=$1 token=$2
    local result
    result=$(curl -s -o "$work/resp.json" -w '%{http_code} %{time_total}' \
        -H "Authorization: Bearer $token" \
        -F 'dossier={"procedure":"business-registration","applicant":{"tax_code":"0101234565","name":"Bench"}};type=application/json' \
        -F "file=@$file;type=image/tiff" "$base/api/v1/dossiers")
    [[ ${result%% *} == 201 ]] || { log "upload failed: $result $(cat "$work/resp.json")"; return 1; }
    echo "${result#* }"
}

rows=()
bench_backend() {
    local label=$1
    shift
    start_server "$@"
    local token
    token=$("$bin" token create --role officer "$@" | tail -n 1)
    curl -sf "$base/readyz" >/dev/null
    local idle
    idle=$(mem_kib "$server_pid" VmRSS)
    for name in 1MiB 100MiB 1GiB; do
        # Uploads and raw writes of the same file alternate, so both see the same disk weather;
        # each side is summarised by its median.
        local n=${REPEATS[$name]} uploads=() writes=()
        for _ in $(seq 1 "$n"); do
            writes+=("$(raw_write "$work/$name.tif")")
            uploads+=("$(upload "$work/$name.tif" "$token")")
        done
        local up_s disk_s
        up_s=$(printf '%s\n' "${uploads[@]}" | median)
        disk_s=$(printf '%s\n' "${writes[@]}" | median)
        local mibs disk limit ratio peak
        mibs=$(awk -v mb="${SIZES[$name]}" -v t="$up_s" 'BEGIN {printf "%.0f", mb / t}')
        disk=$(awk -v mb="${SIZES[$name]}" -v t="$disk_s" 'BEGIN {printf "%.0f", mb / t}')
        limit=$((sha_mibs < disk ? sha_mibs : disk))
        ratio=$(awk -v a="$mibs" -v b="$limit" 'BEGIN {printf "%.0f%%", 100 * a / b}')
        peak=$(mem_kib "$server_pid" VmHWM)
        rows+=("| $label | $name | $n | $mibs | $disk | $limit | $ratio | $(( (peak - idle) / 1024 )) |")
        log "$label $name: $mibs MiB/s, raw write $disk MiB/s ($ratio of limit), peak $(( (peak - idle) / 1024 )) MiB above idle"
    done
    stop_server
}

if [[ $which_backends == local || $which_backends == both ]]; then
    bench_backend "local + SQLite" --data "$work/data-local"
fi
if [[ $which_backends == s3 || $which_backends == both ]]; then
    pg_env=$(scripts/pg.sh)
    eval "$pg_env"
    scripts/garage.sh start
    garage_env=$(scripts/garage.sh env)
    eval "$garage_env"
    db="motcua_bench_$$"
    psql "$MOTCUA_TEST_DATABASE_URL" -qc "CREATE DATABASE $db"
    bench_backend "Garage S3 + PostgreSQL" --data "$work/data-s3" \
        --database-url "${MOTCUA_TEST_DATABASE_URL%/*}/$db" \
        --s3-bucket "$MOTCUA_S3_BUCKET" --s3-endpoint "$MOTCUA_S3_ENDPOINT" \
        --s3-region "$MOTCUA_S3_REGION" --s3-prefix "bench-$$/"
    psql "$MOTCUA_TEST_DATABASE_URL" -qc "DROP DATABASE $db"
fi

report=$out_dir/ingest.md
{
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)."
    echo
    echo "Machine limits in the same run: SHA-256 ${sha_mibs} MiB/s (openssl speed -evp sha256, 1 MiB"
    echo "blocks); raw write = the same file written to the same disk with fsync (dd conv=fsync),"
    echo "alternating with the uploads. Medians of each. Limit = the slower of the two."
    echo
    echo "| backend | file | uploads | upload MiB/s | raw write MiB/s | limit MiB/s | of limit | peak MiB above idle |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$report"
