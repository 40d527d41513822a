#!/usr/bin/env bash
# Page benchmark (issue 16, "Fast"): the counter's work queue and its search over N generated
# dossiers (default 1,000,000; the data set of scripts/bench-reports.sh: 100 units, four
# procedures, a year of dossiers), served by the release binary on SQLite, signed in as a
# commune's officer (who sees that commune's dossiers) and as a province-wide officer (who sees
# all of them: the worst case for the counts). Measured with wrk (a closed loop of 4
# connections for 15 s each) beside two peers in the same run: the API's JSON listing of the
# same page (GET /api/v1/dossiers, no counts, no template) and /healthz (the HTTP floor of this
# machine). Target: p99 under 50 ms.
#
# Usage: scripts/bench-pages.sh [N]      Prints a Markdown report (target/bench/pages.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000000}
out=${CARGO_TARGET_DIR:-target}/bench
mkdir -p "$out"
command -v wrk >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }

# The data set, seeded once and kept by the reports benchmark; a fresh copy for this run, so
# that accounts and sessions of earlier runs do not pile up in it.
cargo bench --locked -q --bench reports -- "sqlite://$out/reports-$n.db?mode=rwc" "$n" >/dev/null
cp "$out/reports-$n.db" "$out/pages-$n.db"
cargo build --locked -q --release --bin motcua
bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/motcua
db="sqlite://$out/pages-$n.db"
data=$out/pages-data
rm -rf "$data" && mkdir -p "$data"
store=(--database-url "$db" --data "$data")

password='bench-mat-khau-rat-dai-2026'
printf '%s\n' "$password" | "$bin" account create --username xa --role officer --unit B.D0.W0 \
    --name "Cán bộ xã" --password-stdin "${store[@]}" >/dev/null
printf '%s\n' "$password" | "$bin" account create --username tinh --role officer \
    --name "Cán bộ tỉnh" --password-stdin "${store[@]}" >/dev/null

log=$out/pages-serve.log
"$bin" serve "${store[@]}" --unit-code B --listen 127.0.0.1:0 --rate-limit 0 \
    --max-in-flight 1024 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
base=
for _ in $(seq 1 600); do
    base=$(sed -n 's/^motcua listening on //p' "$log")
    [[ -n $base ]] && break
    kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
[[ -n $base ]] || { echo "motcua serve did not start"; cat "$log"; exit 1; }

# Signs in with the form as a browser does; prints the session cookie.
session() {
    local jar
    jar=$(mktemp)
    local token
    token=$(curl -s -c "$jar" "$base/sign-in" | sed -n 's/.*name="form_token" value="\([^"]*\)".*/\1/p')
    curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "username=$1" \
        --data-urlencode "password=$password" --data-urlencode "form_token=$token" "$base/sign-in"
    awk '$6 == "__Host-motcua-session" {print $6 "=" $7}' "$jar"
    rm -f "$jar"
}
xa=$(session xa)
tinh=$(session tinh)
[[ -n $xa && -n $tinh ]] || { echo "signing in failed"; exit 1; }
code=$(curl -s -H "Cookie: $tinh" "$base/api/v1/dossiers?limit=1&procedure=birth-registration" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')

# One row: wrk's p50, p99 and requests per second for a URL with a cookie.
measure() {
    local label=$1 cookie=$2 path=$3
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path")
    [[ $status == 200 ]] || { echo "$path answered $status"; exit 1; }
    wrk -t2 -c4 -d15s --latency -H "Cookie: $cookie" "$base$path" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
bad = f" ({errors.group(1)} not 2xx)" if errors else ""
print(f"| {sys.argv[1]} | {p50:.1f} | {p99:.1f} | {rps:.0f}{bad} |")
' "$label"
}

report=$(
    printf '### Pages — %s, %s dossiers, SQLite, %s cores\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$n" "$(nproc)"
    printf '| request | p50 ms | p99 ms | requests/s |\n|---|---|---|---|\n'
    measure 'HTTP floor: `GET /healthz`' "" /healthz
    measure 'commune officer: queue `/dossiers` (counts + 50 rows)' "$xa" /dossiers
    measure 'commune officer: API peer `/api/v1/dossiers?limit=50`' "$xa" '/api/v1/dossiers?limit=50'
    measure 'commune officer: search by code' "$xa" "/dossiers?q=$code"
    measure 'province officer: queue `/dossiers` (counts over all)' "$tinh" /dossiers
    measure 'province officer: API peer `/api/v1/dossiers?limit=50`' "$tinh" '/api/v1/dossiers?limit=50'
    measure 'province officer: queue, one status (`PROCESSING`)' "$tinh" '/dossiers?status=PROCESSING'
    measure 'province officer: search by code' "$tinh" "/dossiers?q=$code"
    measure 'province officer: search by ID number (every dossier matches)' "$tinh" '/dossiers?q=001203004567'
    measure 'province officer: search by name (every dossier matches)' "$tinh" '/dossiers?q=Bench'
    printf '\nCommand: `scripts/bench-pages.sh %s` (wrk -t2 -c4 -d15s per row; the data set of the reports benchmark).\n' "$n"
)
printf '%s\n' "$report" | tee "$out/pages.md"
