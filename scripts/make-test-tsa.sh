#!/usr/bin/env bash
# A test time-stamping authority (RFC 3161) under the test PKI's issuing CA, for tests that
# stamp signatures with `openssl ts -reply` at run time. Called by make-test-pki.sh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pki=$repo/tests/data/pki
out=$pki/tsa
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

mkdir -p "$work/db"
: >"$work/db/index.txt"
openssl rand -hex 16 >"$work/db/serial"
cat >"$work/ca.cnf" <<CNF
[ ca ]
default_ca = issuing
[ issuing ]
dir             = $work/db
database        = $work/db/index.txt
new_certs_dir   = $work/db
serial          = $work/db/serial
certificate     = $pki/intermediate-ca.pem
private_key     = $pki/intermediate-ca.key.pem
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
[ policy_any ]
countryName      = optional
organizationName = optional
commonName       = supplied
[ tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/tsa.key.pem" 2>/dev/null
openssl req -new -key "$work/tsa.key.pem" -subj "/C=VN/O=Motcua Test CA/CN=Motcua Test TSA" -out "$work/tsa.csr"
openssl ca -batch -config "$work/ca.cnf" -extensions tsa -startdate 260101000000Z \
    -enddate 460101000000Z -in "$work/tsa.csr" -out "$work/tsa.pem" -notext 2>/dev/null

rm -rf -- "$out"
mkdir -p "$out"
cp -- "$work/tsa.pem" "$work/tsa.key.pem" "$out/"
cp -- "$pki/intermediate-ca.pem" "$out/chain.pem"
cat >"$out/tsa.cnf" <<'CNF'
# openssl ts -reply configuration; run from this folder.
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./chain.pem
signer_key = ./tsa.key.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
cat >"$out/SOURCE.md" <<'MD'
# tests/data/pki/tsa

Made by `scripts/make-test-tsa.sh` (OpenSSL 3.0): a time-stamping authority certificate (EKU
timeStamping, critical) under the test PKI's issuing CA, its throw-away key, and the
`openssl ts -reply` configuration tests use to stamp signatures at run time (they copy this
folder to a temporary one, since the serial file is written).
MD
chmod 644 "$out"/*
echo "wrote $(find "$out" -type f | wc -l) files to ${out#"$repo"/}"
