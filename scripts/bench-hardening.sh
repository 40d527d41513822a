#!/usr/bin/env bash
# Hardening benchmark (issue 13): decompression bombs read in process (before/after, peak bytes
# and time), eight bombs at once against the release binary (its peak memory growth against the
# 256 MiB allowed), and another caller's service during 320 slow uploads from four tokens,
# beside the same load with no attack, in the same run.
# Usage: scripts/bench-hardening.sh [SECONDS]   (each measured load; default 30)
#        Prints a Markdown report (target/bench/hardening.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-30}
out_dir=target/bench
mkdir -p "$out_dir"
cargo build --locked -q --release --bin motcua
cargo bench --locked -q --bench hardening --no-run 2>/dev/null
report=$(
    printf '### Hardening — %s\n\n' "$(date -u +%Y-%m-%d)"
    cargo bench --locked -q --bench hardening -- "$PWD/target/release/motcua" "$seconds" 2>&1
    printf '\nCommand: `scripts/bench-hardening.sh %s`.\n' "$seconds"
)
printf '%s\n' "$report" | tee "$out_dir/hardening.md"
