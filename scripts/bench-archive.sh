#!/usr/bin/env bash
# Archive benchmark: N records of two files (KIB KiB each; default 500 records of 256 KiB) are
# imported, exported as one BagIt bag and the bag checked offline, on the embedded defaults,
# beside copying and hashing the same bytes in the same run (the physical limits).
# Usage: scripts/bench-archive.sh [N] [KIB]     Prints a Markdown report (target/bench/archive.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-500}
kib=${2:-256}
out_dir=target/bench
mkdir -p "$out_dir"
cargo bench --locked -q --bench archive --no-run 2>/dev/null
report=$(
    printf '### Archive — %s, %s records of 2 × %s KiB\n\n' "$(date -u +%Y-%m-%d)" "$n" "$kib"
    cargo bench --locked -q --bench archive -- "$n" "$kib" 2>&1 | grep -v '^$'
    printf '\nCommand: `scripts/bench-archive.sh %s %s`.\n' "$n" "$kib"
)
printf '%s\n' "$report" | tee "$out_dir/archive.md"
