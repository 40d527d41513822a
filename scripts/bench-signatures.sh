#!/usr/bin/env bash
# Signature verification benchmark: signed PDFs (a small one and a 20 MiB one, both signed by
# pyHanko with the test PKI) verified per second by motcua on one thread and on every core,
# beside pyHanko's in-process validation and poppler's pdfsig on the same files, and beside the
# machine's limits measured in the same run (openssl speed: RSA-2048 verifications and SHA-256).
# Prints a Markdown report and writes it to target/bench/signatures.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out_dir=target/bench
mkdir -p "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench-sig.XXXXXX")
trap 'rm -rf "$work"' EXIT
log() { printf 'bench: %s\n' "$*" >&2; }

command -v pyhanko >/dev/null || python3 -m pip install -q "pyhanko==0.38.0" "pyhanko-cli==0.6.0"
command -v pdfsig >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q poppler-utils; }

pki=tests/data/pki
# A 20 MiB PDF: one page whose content stream is padded with comments.
python3 - "$work/large.pdf" <<'PY'
import sys
pad = b"% padding to make a large document\n" * (20 * 1024 * 1024 // 36)
content = b"BT /F1 12 Tf 72 720 Td (Large document) Tj ET\n" + pad
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
out = bytearray(b"%PDF-1.7\n")
offsets = []
for i, o in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for off in offsets:
    out += b"%010d 00000 n \n" % off
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY
for f in small large; do
    src=$([[ $f == small ]] && echo tests/data/pyhanko/pdf/minimal.pdf || echo "$work/large.pdf")
    pyhanko sign addsig --field Sig1 pemder --key "$pki/signer-rsa.key.pem" --cert "$pki/signer-rsa.pem" \
        --chain "$pki/intermediate-ca.pem" --no-pass "$src" "$work/$f-signed.pdf" >/dev/null
done
log "signed: $(stat -c %s "$work/small-signed.pdf") and $(stat -c %s "$work/large-signed.pdf") bytes"

# motcua
ours=$(cargo bench --locked -q --bench signatures -- "$work/small-signed.pdf" "$work/large-signed.pdf" \
    "$pki/root-ca.pem" "$pki/root.crl.der" "$pki/intermediate.crl.der" 2>/dev/null | grep '^motcua')
read -r _ _ small_1 small_n _ large_1 large_n _ large_mib_1 large_mib_n _ cores <<<"$ours"
log "motcua: $ours"

# pyHanko, in-process, same trust and CRLs, no fetching.
pyhanko_rates=$(python3 - "$work" "$pki" <<'PY'
import sys, time
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder
from asn1crypto import crl
work, pki = sys.argv[1], sys.argv[2]
crls = [crl.CertificateList.load(open(f"{pki}/{n}.crl.der", "rb").read()) for n in ("root", "intermediate")]
def ctx():
    return ValidationContext(trust_roots=[load_cert_from_pemder(f"{pki}/root-ca.pem")],
        other_certs=[load_cert_from_pemder(f"{pki}/intermediate-ca.pem")], crls=crls,
        allow_fetching=False, revocation_mode="hard-fail")
rates = []
for name, budget in (("small", 5.0), ("large", 10.0)):
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < budget:
        with open(f"{work}/{name}-signed.pdf", "rb") as fh:
            status = validate_pdf_signature(PdfFileReader(fh).embedded_signatures[0], ctx())
            assert status.bottom_line, status
        n += 1
    rates.append(n / (time.perf_counter() - start))
print(" ".join(f"{r:.2f}" for r in rates))
PY
)
read -r pyh_small pyh_large <<<"$pyhanko_rates"
log "pyHanko: $pyhanko_rates"

# poppler's pdfsig, one process per verification (as it is used).
pdfsig_rate() {
    local file=$1 n=0 start end
    start=$(date +%s.%N)
    while (( n < 50 )); do pdfsig "$file" >/dev/null 2>&1 || true; n=$((n + 1)); done
    end=$(date +%s.%N)
    awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", n / (e - s)}'
}
pdfsig_small=$(pdfsig_rate "$work/small-signed.pdf")
pdfsig_large=$(pdfsig_rate "$work/large-signed.pdf")

# The machine's limits.
rsa_verify=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $NF}')
sha_kbs=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ {gsub("k","",$NF); print $NF}')
sha_mibs=$(awk -v k="$sha_kbs" 'BEGIN {printf "%.0f", k * 1000 / 1048576}')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a / b}'; }
report=$out_dir/signatures.md
{
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $cores cores. Files: pyHanko-signed (RSA-2048, SHA-256,"
    echo "chain of 3, CRLs required): a small PDF ($(stat -c %s "$work/small-signed.pdf") bytes) and a"
    echo "$(( $(stat -c %s "$work/large-signed.pdf") / 1048576 )) MiB one."
    echo
    echo "| verifier | small PDFs/s, 1 thread | small, all cores | 20 MiB PDFs/s, 1 thread | 20 MiB, all cores |"
    echo "|---|---|---|---|---|"
    echo "| motcua | $small_1 | $small_n | $large_1 | $large_n |"
    echo "| pyHanko (in-process) | $pyh_small | — | $pyh_large | — |"
    echo "| pdfsig (one process each) | $pdfsig_small | — | $pdfsig_large | — |"
    echo
    echo "motcua / pyHanko on small PDFs: $(ratio "$small_1" "$pyh_small")× on one thread,"
    echo "$(ratio "$small_n" "$pyh_small")× on all cores. Limits in the same run: openssl speed rsa2048"
    echo "verifies ${rsa_verify}/s (one core); SHA-256 ${sha_mibs} MiB/s. The 20 MiB document is digested"
    echo "(and parsed) at ${large_mib_1} MiB/s on one thread, $(awk -v a="$large_mib_1" -v b="$sha_mibs" 'BEGIN {printf "%.0f%%", 100 * a / b}') of SHA-256."
} | tee "$report"
