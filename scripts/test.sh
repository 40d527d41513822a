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

# Build prerequisites from Debian's packages (present on our machines; installed where absent).
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
[[ -e /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# Independent PDF validators for what motcua signs: poppler's pdfsig (trust from an NSS
# database made with certutil) and qpdf --check.
command -v pdfsig >/dev/null 2>&1 || missing+=(poppler-utils)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
# PKCS#11 signing (tests/api/pkcs11.rs): SoftHSM2 as the token, OpenSSL's pkcs11 engine (libp11)
# to sign through it, and pkcs11-tool (opensc) to generate keys and write certificates in it.
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
[[ $(dpkg-query -W -f='${Status}' libengine-pkcs11-openssl 2>/dev/null) == *"ok installed" ]] ||
    missing+=(libengine-pkcs11-openssl)
command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
# Rendered result documents: zbarimg decodes their QR code (pdftotext, pdffonts and pdftoppm
# come with poppler-utils above).
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
# Node runs the real OpenID provider of the sign-in tests (Node 20 or later; our machines have
# NodeSource's).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# Debian's Chromium, which the browser walks drive (tests/api/browser.rs), unless MOTCUA_CHROMIUM
# names another.
[[ -n ${MOTCUA_CHROMIUM:-} || -x /usr/bin/chromium ]] || missing+=(chromium)
# pyHanko signs PDFs in the interoperability tests (pinned; from PyPI).
if ! command -v pyhanko >/dev/null 2>&1; then
    header "installing pyHanko"
    python3 -m pip install -q "pyhanko==0.38.0" "pyhanko-cli==0.6.0"
fi

# The Library of Congress bagit tool validates exported archive packages (pinned; from PyPI).
if ! command -v bagit.py >/dev/null 2>&1; then
    header "installing bagit"
    python3 -m pip install -q "bagit==1.9.0"
fi
# moto's S3 server: Object Lock, which Garage lacks, is tested against it (pinned; from PyPI).
if ! command -v moto_server >/dev/null 2>&1; then
    header "installing moto's S3 server"
    python3 -m pip install -q "moto[server]==5.2.5"
fi

if ((${#missing[@]})); then
    header "installing ${missing[*]}"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# The OpenID provider the sign-in tests start (tests/api/oidc.rs): panva's oidc-provider, pinned
# by tests/oidc/package-lock.json (from the npm registry).
if [[ ! -d tests/oidc/node_modules/oidc-provider ]]; then
    header "installing the test OpenID provider"
    npm ci --prefix tests/oidc --no-audit --no-fund
fi

# The browser walks' driver and accessibility checker (tests/browser): playwright-core, which
# drives the Chromium above and downloads no browser of its own, and axe-core, pinned by
# tests/browser/package-lock.json (from the npm registry).
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
    header "installing the browser walks' packages"
    npm ci --prefix tests/browser --no-audit --no-fund
fi

if [[ ${MOTCUA_SKIP_LINT:-0} != 1 ]]; then
    header "lint: cargo fmt --check"
    cargo fmt --check
    header "lint: cargo clippy --locked --all-targets -- -D warnings"
    cargo clippy --locked --all-targets -- -D warnings
fi

# Every test target; benches are built by clippy above and run by scripts/bench-*.sh.
targets=(--lib --bins --tests)
results=$(mktemp)
trap 'rm -f "$results"' EXIT

header "tests: MOTCUA_TEST_BACKEND=embedded"
# The Object Lock tests store objects with moto's S3 server on both backends; motcua reads S3
# credentials from the environment, and moto takes any.
AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-moto} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-moto} \
    MOTCUA_TEST_BACKEND=embedded cargo test --locked "${targets[@]}" "$@" 2>&1 | tee -a "$results"

header "tests: MOTCUA_TEST_BACKEND=production (PostgreSQL + Garage S3)"
# Assign first, then eval: `eval "$(cmd)"` would hide a failure of cmd.
pg_env=$(scripts/pg.sh)
eval "$pg_env"

if [[ ${CI:-} == true ]]; then
    trap 'rm -f "$results"; scripts/garage.sh stop || true' EXIT
fi
scripts/garage.sh start
garage_env=$(scripts/garage.sh env)
eval "$garage_env"

# Each test creates its own database motcua_t_<uuid>; drop those of earlier runs.
psql "$MOTCUA_TEST_DATABASE_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'motcua_t_%'" |
    while read -r stale; do
        psql "$MOTCUA_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$stale\"" || true
    done

printf 'MOTCUA_TEST_DATABASE_URL=%s\nMOTCUA_S3_ENDPOINT=%s MOTCUA_S3_BUCKET=%s\n' \
    "$MOTCUA_TEST_DATABASE_URL" "$MOTCUA_S3_ENDPOINT" "$MOTCUA_S3_BUCKET"
MOTCUA_TEST_BACKEND=production cargo test --locked "${targets[@]}" "$@" 2>&1 | tee -a "$results"

# Both configurations together, as one closing line.
echo
awk '/^test result:/ {p += $4; f += $6} END {printf "%d passed, %d failed\n", p, f}' "$results"

