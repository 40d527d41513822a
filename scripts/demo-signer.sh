#!/usr/bin/env bash
# Makes a DEMO business signer, so that the README's walk-through reaches "originals": "waived"
# on a fresh machine: a demo CA for businesses, a business certificate with its tax code
# (UID=MST:0101234565, a valid check digit), an application form as a PDF, and its detached
# CAdES signature made with OpenSSL, as a business's signing software would.
#
#   DIR/business-root.pem            "motcua DEMO Business CA" (self-signed); give it to
#                                    `motcua serve --business-trust`
#   DIR/business.pem, business.key.pem   the business's certificate and key (unencrypted: a demo)
#   DIR/giay-de-nghi.pdf             the application form (one page)
#   DIR/giay-de-nghi.pdf.p7s         its detached signature (DER, SHA-256)
#
# Every subject says DEMO. Nothing here is trusted anywhere but where you point motcua at it.
#
# Usage: scripts/demo-signer.sh [DIR]   (default: ./demo; existing files are replaced)
# Needs: openssl, python3 (both on every machine motcua's README assumes).
set -euo pipefail

out=${1:-demo}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tax_code=0101234565
company="Công ty TNHH Mẫu (DEMO)"

cat >"$work/ext.cnf" <<'CNF'
[ root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ business ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
CNF

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/root.key"
openssl req -new -x509 -utf8 -key "$work/root.key" -days 3650 -sha256 \
    -subj "/C=VN/O=motcua DEMO - not for production/CN=motcua DEMO Business CA" \
    -extensions root -config "$work/ext.cnf" -out "$out/business-root.pem"

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/business.key.pem"
openssl req -new -utf8 -key "$out/business.key.pem" \
    -subj "/C=VN/ST=Hà Nội/L=Cầu Giấy/O=$company/CN=$company/UID=MST:$tax_code" \
    -out "$work/business.csr"
openssl x509 -req -in "$work/business.csr" -CA "$out/business-root.pem" -CAkey "$work/root.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 730 -sha256 \
    -extfile "$work/ext.cnf" -extensions business -out "$out/business.pem" 2>/dev/null
openssl verify -CAfile "$out/business-root.pem" "$out/business.pem" >/dev/null

# A one-page PDF with its cross-reference table at the right offsets.
python3 - "$out/giay-de-nghi.pdf" <<'PY'
import sys
text = b"BT /F1 14 Tf 72 770 Td (GIAY DE NGHI DANG KY DOANH NGHIEP - DEMO) Tj ET"
objects = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>",
    b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]
out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for i, body in enumerate(objects, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
for o in offsets:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY

openssl cms -sign -binary -md sha256 -in "$out/giay-de-nghi.pdf" \
    -signer "$out/business.pem" -inkey "$out/business.key.pem" \
    -outform DER -out "$out/giay-de-nghi.pdf.p7s"

echo "made a DEMO business signer (tax code $tax_code) and a signed application in $out/"
