#!/usr/bin/env bash
# Signing benchmark, per second on one thread and on every core: a one-page PDF signed (PAdES
# B-B) with the demo agency's RSA-2048 key and the test PKI's ECDSA P-256 key; and a result
# rendered and signed as the API issues it (template, font subsets, QR code, B-B with the
# visible signature block, demo RSA-2048 identity). Beside pyHanko signing the same documents
# in-process with the same RSA key, and the raw signing rate of each key type from
# `openssl speed` (the limit), measured in the same run.
# Prints a Markdown report and writes it to target/bench/signing.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out_dir=target/bench
mkdir -p "$out_dir"
log() { printf 'bench: %s\n' "$*" >&2; }

command -v pyhanko >/dev/null || python3 -m pip install -q "pyhanko==0.38.0" "pyhanko-cli==0.6.0"

doc=tests/data/pyhanko/pdf/minimal.pdf
rendered=$out_dir/rendered-result.pdf
rsa_key=certs/demo-agency.key.pem
rsa_cert=certs/demo-agency.pem
ec_key=tests/data/pki/signer-ecdsa.key.pem
ec_cert=tests/data/pki/signer-ecdsa.pem

ours=$(cargo bench --locked -q --bench signing -- "$doc" "$rsa_key" "$rsa_cert" "$ec_key" "$ec_cert" \
    "$rendered" 2>/dev/null | grep '^motcua')
read -r _ _ rsa_1 rsa_n _ ec_1 ec_n _ res_1 res_n _ render_1 _ cores <<<"$ours"
log "motcua: $ours"

# pyHanko, in-process, same RSA key, for 5 seconds per document.
pyhanko() {
    python3 - "$1" "$rsa_key" "$rsa_cert" <<'PY'
import io, sys, time
from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
doc, key, cert = sys.argv[1:4]
signer = signers.SimpleSigner.load(key, cert, key_passphrase=None)
data = open(doc, "rb").read()
meta = signers.PdfSignatureMetadata(field_name="Signature1")
n, start = 0, time.monotonic()
while time.monotonic() - start < 5:
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    signers.sign_pdf(w, meta, signer=signer)
    n += 1
print(f"{n / (time.monotonic() - start):.1f}")
PY
}
pyhanko_rate=$(pyhanko "$doc")
pyhanko_result=$(pyhanko "$rendered")
log "pyHanko: minimal.pdf $pyhanko_rate/s, rendered result $pyhanko_result/s (signing only)"

# The limit: raw private-key operations per second on one core.
speed=$(openssl speed -seconds 5 -mr rsa2048 ecdsap256 2>/dev/null)
raw_rsa=$(awk -F: '/^\+F2:/ && $3 == 2048 {printf "%.0f", $4}' <<<"$speed")
raw_ec=$(awk -F: '/^\+F4:/ && $3 == 256 {printf "%.0f", $4}' <<<"$speed")
log "openssl speed: rsa2048 sign $raw_rsa/s, ecdsap256 sign $raw_ec/s"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3g", a / b }'; }
report=$(cat <<MD
### Signing — $(date -u +%Y-%m-%d), $cores cores

| | 1 thread | $cores threads | vs pyHanko (1 thread) | vs raw signing, 1 core |
|---|---:|---:|---:|---:|
| motcua, sign minimal.pdf, RSA-2048 | $rsa_1/s | $rsa_n/s | $(ratio "$rsa_1" "$pyhanko_rate")× | $(ratio "$rsa_1" "$raw_rsa") of $raw_rsa/s |
| motcua, sign minimal.pdf, ECDSA P-256 | $ec_1/s | $ec_n/s | | $(ratio "$ec_1" "$raw_ec") of $raw_ec/s |
| pyHanko 0.38 in-process, sign minimal.pdf, RSA-2048 | $pyhanko_rate/s | | 1× | $(ratio "$pyhanko_rate" "$raw_rsa") |
| **motcua, render + sign a result (visible block), RSA-2048** | $res_1/s | $res_n/s | $(ratio "$res_1" "$pyhanko_result")× | $(ratio "$res_1" "$raw_rsa") of $raw_rsa/s |
| motcua, render only | $render_1/s | | | |
| pyHanko 0.38 in-process, sign the rendered result only, RSA-2048 | $pyhanko_result/s | | 1× | $(ratio "$pyhanko_result" "$raw_rsa") |

Command: \`scripts/bench-signing.sh\`. Raw rates: \`openssl speed -seconds 5 rsa2048 ecdsap256\`
in the same run. The result is a business-registration certificate (5 rows of Vietnamese text,
QR code), signed B-B with the Decree 30 block as \`POST /api/v1/dossiers/{id}/results\` does.
MD
)
printf '%s\n' "$report" | tee "$out_dir/signing.md"
