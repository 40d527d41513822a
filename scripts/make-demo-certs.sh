#!/usr/bin/env bash
# Makes the DEMO agency signing identity for the embedded default, into certs/:
#
#   certs/demo-root-ca.pem            "motcua DEMO Government Root CA" (self-signed, RSA-3072)
#   certs/demo-agency.pem             the agency's signing certificate (RSA-2048), issued by the root
#   certs/demo-agency.key.pem         its private key (unencrypted: a demo, never a secret)
#
# Every subject says DEMO and "not for production". Nothing here is trusted by motcua in
# production: a deployment names its own identity and roots in its configuration.
#
# The agency certificate's extended key usage lists emailProtection beside Microsoft document
# signing and Adobe authentic documents: NSS (and so poppler's pdfsig and Firefox-family tools)
# only accepts a PDF signer whose EKU, when present, includes emailProtection.
#
# Usage: scripts/make-demo-certs.sh [OUT_DIR]   (default: certs/; existing files are replaced)
set -euo pipefail

out=${1:-$(cd "$(dirname "$0")/.." && pwd)/certs}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/ext.cnf" <<'CNF'
[ root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ agency ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, 1.3.6.1.4.1.311.10.3.12, 1.2.840.113583.1.1.5
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$work/root.key"
openssl req -new -x509 -utf8 -key "$work/root.key" -days 3650 -sha256 \
    -subj "/C=VN/O=motcua DEMO - not for production/CN=motcua DEMO Government Root CA" \
    -extensions root -config "$work/ext.cnf" -out "$out/demo-root-ca.pem"

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/demo-agency.key.pem"
openssl req -new -utf8 -key "$out/demo-agency.key.pem" \
    -subj "/C=VN/ST=Hà Nội/L=Hoàn Kiếm/O=Ủy ban nhân dân phường Mẫu (DEMO - not for production)/CN=Bộ phận Một cửa phường Mẫu (DEMO)" \
    -out "$work/agency.csr"
openssl x509 -req -in "$work/agency.csr" -CA "$out/demo-root-ca.pem" -CAkey "$work/root.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 1825 -sha256 \
    -extfile "$work/ext.cnf" -extensions agency -out "$out/demo-agency.pem" 2>/dev/null

# The root's key is discarded: the demo root can issue nothing more.
openssl verify -CAfile "$out/demo-root-ca.pem" "$out/demo-agency.pem" >/dev/null
echo "made the DEMO identity in $out"
