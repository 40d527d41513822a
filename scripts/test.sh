#!/usr/bin/env bash
# The whole test suite: lints, then `cargo test` against the embedded backend,
# then against the production backend (PostgreSQL + Garage S3).
#
# Usage: scripts/test.sh [extra cargo test args...]   e.g. scripts/test.sh my_test_name
#
# Environment:
#   MOTCUA_SKIP_LINT=1   skip `cargo fmt --check` and `cargo clippy`
#   CI=true              stop the Garage server when done (otherwise it is left running)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# cargo-installed tools (garage, cargo itself on some setups) live here.
if [[ -d ${HOME:-/root}/.cargo/bin && :$PATH: != *":${HOME:-/root}/.cargo/bin:"* ]]; then
    PATH="${HOME:-/root}/.cargo/bin:$PATH"
    export PATH
fi

header() {
    printf '\n========================================================================\n'
    printf '==== %s\n' "$*"
    printf '========================================================================\n'
}

if [[ ${MOTCUA_SKIP_LINT:-0} != 1 ]]; then
    header "lint: cargo fmt --check"
    cargo fmt --check
    header "lint: cargo clippy --locked --all-targets -- -D warnings"
    cargo clippy --locked --all-targets -- -D warnings
fi

header "tests: MOTCUA_TEST_BACKEND=embedded"
MOTCUA_TEST_BACKEND=embedded cargo test --locked --all-targets "$@"

header "tests: MOTCUA_TEST_BACKEND=production (PostgreSQL + Garage S3)"
# Assign first, then eval: `eval "$(cmd)"` would hide a failure of cmd.
pg_env=$(scripts/pg.sh)
eval "$pg_env"

if [[ ${CI:-} == true ]]; then
    trap 'scripts/garage.sh stop || true' EXIT
fi
scripts/garage.sh start
garage_env=$(scripts/garage.sh env)
eval "$garage_env"

printf 'MOTCUA_TEST_DATABASE_URL=%s\nMOTCUA_S3_ENDPOINT=%s MOTCUA_S3_BUCKET=%s\n' \
    "$MOTCUA_TEST_DATABASE_URL" "$MOTCUA_S3_ENDPOINT" "$MOTCUA_S3_BUCKET"
# Keep cargo's own summary as the last lines of output (no footer after it).
MOTCUA_TEST_BACKEND=production cargo test --locked --all-targets "$@"
