#!/usr/bin/env bash
# OCSP test material under the test PKI's issuing CA (tests/data/pki, made by make-test-pki.sh,
# which calls this script at its end): a delegated OCSP responder and two signers whose
# authorityInfoAccess names a responder on http://127.0.0.1:19888 (never anything else), one of
# them revoked in the responder's index. Tests start `openssl ocsp` on that port themselves.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pki=$repo/tests/data/pki
out=$pki/ocsp
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

mkdir -p "$work/db"
: >"$work/db/index.txt"
openssl rand -hex 16 >"$work/db/serial"
cat >"$work/ca.cnf" <<CNF
[ ca ]
default_ca = issuing
[ issuing ]
dir               = $work/db
database          = $work/db/index.txt
new_certs_dir     = $work/db
serial            = $work/db/serial
certificate       = $pki/intermediate-ca.pem
private_key       = $pki/intermediate-ca.key.pem
default_md        = sha256
policy            = policy_any
unique_subject    = no
copy_extensions   = none
preserve          = yes
[ policy_any ]
countryName       = optional
organizationName  = optional
commonName        = supplied
userId            = optional
[ responder ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = 1.3.6.1.4.1.311.10.3.12, 1.2.840.113583.1.1.5
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
authorityInfoAccess    = OCSP;URI:http://127.0.0.1:19888
CNF

issue() { # name subject extensions keyspec
    local name=$1 subject=$2 ext=$3
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$name.key.pem" 2>/dev/null
    openssl req -new -utf8 -key "$work/$name.key.pem" -subj "$subject" -out "$work/$name.csr"
    openssl ca -batch -config "$work/ca.cnf" -extensions "$ext" -utf8 \
        -startdate 260101000000Z -enddate 460101000000Z \
        -in "$work/$name.csr" -out "$work/$name.pem" -notext 2>/dev/null
}

issue ocsp-responder "/C=VN/O=Motcua Test CA/CN=Motcua Test OCSP Responder" responder
issue signer-ocsp-good "/C=VN/O=Công ty OCSP Tốt/CN=Công ty OCSP Tốt/UID=MST:0106869738" signer
issue signer-ocsp-revoked "/C=VN/O=Công ty OCSP Thu Hồi/CN=Công ty OCSP Thu Hồi/UID=MST:0100109106" signer
openssl ca -batch -config "$work/ca.cnf" -revoke "$work/signer-ocsp-revoked.pem" \
    -crl_reason keyCompromise 2>/dev/null

rm -rf -- "$out"
mkdir -p "$out"
for f in ocsp-responder signer-ocsp-good signer-ocsp-revoked; do
    cp -- "$work/$f.pem" "$work/$f.key.pem" "$out/"
done
cp -- "$work/db/index.txt" "$out/index.txt"
cat >"$out/SOURCE.md" <<'MD'
# tests/data/pki/ocsp

Made by `scripts/make-test-ocsp.sh` (OpenSSL 3.0) under the test PKI's issuing CA
(`../intermediate-ca.pem`). Throw-away keys.

- `ocsp-responder.pem`/`.key.pem`: delegated OCSP responder (EKU OCSPSigning).
- `signer-ocsp-good.pem`, `signer-ocsp-revoked.pem` (+ keys): signers whose authorityInfoAccess
  names `http://127.0.0.1:19888`; the second is revoked (keyCompromise) in `index.txt`.
- `index.txt`: the CA database `openssl ocsp -index` answers from. Tests run
  `openssl ocsp -index index.txt -port 19888 -CA ../intermediate-ca.pem
  -rsigner ocsp-responder.pem -rkey ocsp-responder.key.pem`.
MD
chmod 644 "$out"/*
echo "wrote $(find "$out" -type f | wc -l) files to ${out#"$repo"/}"
