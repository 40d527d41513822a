#!/usr/bin/env bash
# (Re)generate the small test PKI and the CMS-signed files in tests/data/pki/.
#
# Usage: scripts/make-test-pki.sh
#
# Uses only the `openssl` CLI (written for OpenSSL 3.0 on Debian 12). Everything is built in a
# temporary directory (CA databases, requests, serial and CRL-number files), then
# tests/data/pki/ is wiped and replaced by the results. Keys and serials are random, so every
# run produces different (but equivalent) files. All keys are throw-away test keys.
#
# Validity: 2026-01-01 to 2046-01-01 for every certificate (signer-short: to 2026-02-01); the
# CRLs' nextUpdate is 2046-01-01. Digests: sha256 everywhere (except the one deliberately
# weak sha1 signature).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
out_final="$repo/tests/data/pki"

command -v openssl >/dev/null 2>&1 || { echo "openssl not found" >&2; exit 1; }
openssl_version=$(openssl version)
openssl_version=${openssl_version%% (Library*}
case $openssl_version in
    "OpenSSL 3."*) ;;
    *) echo "warning: written for OpenSSL 3.x, found: $openssl_version" >&2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/make-test-pki.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
out="$work/out"
mkdir -p "$out"

# Every certificate date, as given to `openssl ca` (UTCTime form: all are before 2050).
start=260101000000Z
end=460101000000Z
short_end=260201000000Z
crl_next=460101000000Z
crl_dp=http://127.0.0.1:1/issuing.crl

# ---------------------------------------------------------------------------------------------
# One OpenSSL config for everything: a CA section per CA (selected with `openssl ca -name`),
# the `req` defaults (UTF-8 names) and one extension section per certificate profile.
# ---------------------------------------------------------------------------------------------
conf="$work/openssl.cnf"
ca_section() { # name dir
    cat <<EOF
[ $1 ]
dir               = $2
database          = \$dir/index.txt
new_certs_dir     = \$dir/newcerts
serial            = \$dir/serial
crlnumber         = \$dir/crlnumber
certificate       = \$dir/ca.pem
private_key       = \$dir/ca.key.pem
default_md        = sha256
policy            = policy_any
preserve          = yes
unique_subject    = no
email_in_dn       = no
copy_extensions   = none
name_opt          = multiline,utf8,-esc_msb
cert_opt          = ca_default
crl_extensions    = crl_ext

EOF
}
{
    cat <<EOF
# Written by scripts/make-test-pki.sh; only used while it runs.
[ ca ]
default_ca = CA_root

EOF
    ca_section CA_root "$work/root"
    ca_section CA_issuing "$work/issuing"
    ca_section CA_untrusted "$work/untrusted"
    ca_section CA_not_a_ca "$work/not-a-ca"
    cat <<EOF
[ policy_any ]
countryName         = optional
stateOrProvinceName = optional
localityName        = optional
organizationName    = optional
commonName          = supplied
UID                 = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no

[ req_dn ]
CN = unused (every request passes -subj)

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ v3_root ]
basicConstraints     = critical, CA:TRUE
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_issuing ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$crl_dp

# Document signers under the issuing CA.
[ v3_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = emailProtection, 1.3.6.1.4.1.311.10.3.12, 1.2.840.113583.1.1.5
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$crl_dp

[ v3_wrong_usage ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyEncipherment
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$crl_dp

[ v3_eku_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$crl_dp

[ v3_not_a_ca ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$crl_dp

# Signers under the not-a-CA certificate and under the untrusted root (no CRL DP there).
[ v3_plain_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
} >"$conf"

for d in root issuing untrusted not-a-ca; do
    mkdir -p "$work/$d/newcerts"
    : >"$work/$d/index.txt"
    # Random 16-byte starting serial, first byte 0x01..0x7f (positive, no leading zero).
    printf '%02x%s\n' $((RANDOM % 127 + 1)) "$(openssl rand -hex 15)" >"$work/$d/serial"
    echo 01 >"$work/$d/crlnumber"
done

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
genkey() { # kind file   (kind: rsa2048 | rsa3072 | p256 | p384)
    case $1 in
        rsa2048) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
        rsa3072) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" ;;
        p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -pkeyopt ec_param_enc:named_curve -out "$2" ;;
        p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
            -pkeyopt ec_param_enc:named_curve -out "$2" ;;
        *) echo "genkey: unknown kind $1" >&2; return 1 ;;
    esac
}

# issue CA_SECTION EXT_SECTION NAME KEYKIND SUBJECT [ENDDATE]
#   -> $out/NAME.pem, $out/NAME.key.pem
issue() {
    local ca=$1 ext=$2 name=$3 kind=$4 subj=$5 enddate=${6:-$end}
    genkey "$kind" "$out/$name.key.pem"
    openssl req -new -config "$conf" -utf8 -sha256 -key "$out/$name.key.pem" \
        -subj "$subj" -out "$work/$name.csr.pem"
    openssl ca -batch -config "$conf" -name "$ca" -utf8 -notext -md sha256 \
        -extensions "$ext" -startdate "$start" -enddate "$enddate" \
        -in "$work/$name.csr.pem" -out "$out/$name.pem" 2>"$work/$name.ca.log" || {
        cat "$work/$name.ca.log" >&2
        return 1
    }
}

# self_signed CA_SECTION NAME KEYKIND SUBJECT  -> $out/NAME.pem, $out/NAME.key.pem, CA files
self_signed() {
    local ca=$1 name=$2 kind=$3 subj=$4 dir
    dir=$(sed -n "/^\[ $ca \]/,/^\[/s/^dir *= *//p" "$conf")
    genkey "$kind" "$out/$name.key.pem"
    openssl req -new -config "$conf" -utf8 -sha256 -key "$out/$name.key.pem" \
        -subj "$subj" -out "$work/$name.csr.pem"
    openssl ca -batch -config "$conf" -name "$ca" -utf8 -notext -md sha256 -selfsign \
        -keyfile "$out/$name.key.pem" -extensions v3_root \
        -startdate "$start" -enddate "$end" \
        -in "$work/$name.csr.pem" -out "$out/$name.pem" 2>"$work/$name.ca.log" || {
        cat "$work/$name.ca.log" >&2
        return 1
    }
    install_ca "$dir" "$name"
}

install_ca() { # dir name  (make NAME the signing certificate of the CA in DIR)
    cp "$out/$2.pem" "$1/ca.pem"
    cp "$out/$2.key.pem" "$1/ca.key.pem"
}

# ---------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------
self_signed CA_root root-ca rsa3072 \
    "/C=VN/O=Bộ Thông tin và Truyền thông/CN=Motcua Test Root CA"

issue CA_root v3_issuing intermediate-ca rsa2048 \
    "/C=VN/O=Motcua Test CA/CN=Motcua Test Issuing CA"
install_ca "$work/issuing" intermediate-ca

issue CA_issuing v3_signer signer-rsa rsa2048 \
    "/C=VN/ST=Hà Nội/L=Cầu Giấy/O=Công ty TNHH Mẫu/CN=Công ty TNHH Mẫu/UID=MST:0106869738"
issue CA_issuing v3_signer signer-ecdsa p256 \
    "/C=VN/ST=Hải Phòng/O=Công ty Cổ phần Thử Nghiệm/CN=Công ty Cổ phần Thử Nghiệm/UID=MST:0106869738-012"
issue CA_issuing v3_signer signer-citizen p384 \
    "/C=VN/CN=Nguyễn Văn An/UID=CCCD:001203004567"
issue CA_issuing v3_signer signer-revoked rsa2048 \
    "/C=VN/O=Công ty Bị Thu Hồi/CN=Công ty Bị Thu Hồi/UID=MST:0100109106"
issue CA_issuing v3_wrong_usage signer-wrong-usage rsa2048 \
    "/C=VN/CN=Sai Mục Đích/UID=MST:0100109106"
issue CA_issuing v3_eku_server signer-eku-server rsa2048 \
    "/C=VN/CN=Máy Chủ Web"
issue CA_issuing v3_signer signer-short rsa2048 \
    "/C=VN/CN=Ngắn Hạn/UID=MST:0106869738" "$short_end"
issue CA_issuing v3_not_a_ca not-a-ca rsa2048 \
    "/C=VN/CN=Không Phải CA"

# `openssl ca` does not check that its own certificate is a CA, so it issues under the
# end-entity not-a-ca.pem with the same explicit dates as everything else.
install_ca "$work/not-a-ca" not-a-ca
issue CA_not_a_ca v3_plain_signer signer-under-not-a-ca rsa2048 \
    "/C=VN/CN=Dưới Không Phải CA"

self_signed CA_untrusted untrusted-root rsa2048 "/C=VN/CN=Untrusted Root"
issue CA_untrusted v3_plain_signer signer-untrusted rsa2048 \
    "/C=VN/CN=Không Tin Cậy/UID=MST:0106869738"

# ---------------------------------------------------------------------------------------------
# Revocation and CRLs
# ---------------------------------------------------------------------------------------------
openssl ca -batch -config "$conf" -name CA_issuing -revoke "$out/signer-revoked.pem" \
    -crl_reason keyCompromise 2>"$work/revoke.log" || { cat "$work/revoke.log" >&2; exit 1; }

gencrl() { # CA_SECTION NAME
    openssl ca -batch -config "$conf" -name "$1" -gencrl -md sha256 \
        -crl_nextupdate "$crl_next" -out "$out/$2.crl.pem" 2>"$work/$2.crl.log" || {
        cat "$work/$2.crl.log" >&2
        return 1
    }
    openssl crl -in "$out/$2.crl.pem" -outform DER -out "$out/$2.crl.der"
}
gencrl CA_issuing intermediate
gencrl CA_root root

# ---------------------------------------------------------------------------------------------
# Signed files (all signed after the revocation above, so signingTime >= revocationDate)
# ---------------------------------------------------------------------------------------------
cat >"$out/document.txt" <<'EOF'
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

ĐƠN ĐỀ NGHỊ (tài liệu kiểm thử), số 123/2026
Kính gửi: Bộ phận Một cửa.
Nội dung: văn bản mẫu để thử chữ ký số.
EOF

# tampered.txt: exactly one character different ("123" -> "124").
sed 's|số 123/2026|số 124/2026|' "$out/document.txt" >"$out/tampered.txt"
if cmp -s "$out/document.txt" "$out/tampered.txt"; then
    echo "tampered.txt is identical to document.txt" >&2
    exit 1
fi

chain_issuing="$out/intermediate-ca.pem"
chain_not_a_ca="$work/chain-not-a-ca.pem"
cat "$out/not-a-ca.pem" "$out/intermediate-ca.pem" >"$chain_not_a_ca"

# sign OUTPUT_NAME SIGNER CHAIN_FILE_OR_EMPTY [extra openssl cms options...]
sign() {
    local name=$1 signer=$2 chain=$3
    shift 3
    local args=(-sign -binary -md sha256 -in "$out/document.txt"
        -signer "$out/signer-$signer.pem" -inkey "$out/signer-$signer.key.pem"
        -outform DER -out "$out/document.txt.$name.p7s")
    [[ -n $chain ]] && args+=(-certfile "$chain")
    openssl cms "${args[@]}" "$@"
}

sign rsa rsa "$chain_issuing" -cades
sign ecdsa ecdsa "$chain_issuing" -cades
sign citizen citizen "$chain_issuing"
sign revoked revoked "$chain_issuing"
sign wrong-usage wrong-usage "$chain_issuing"
sign eku-server eku-server "$chain_issuing"
sign short short "$chain_issuing"
sign untrusted untrusted ""
sign under-not-a-ca under-not-a-ca "$chain_not_a_ca"

sign rsa-nocades rsa "$chain_issuing"
sign rsa-attached rsa "$chain_issuing" -cades -nodetach
# -md given last wins over the helper's sha256.
sign rsa-sha1 rsa "$chain_issuing" -cades -md sha1

# The same SignedData as document.txt.rsa.p7s, PEM-armoured.
openssl cms -cmsout -inform DER -in "$out/document.txt.rsa.p7s" \
    -outform PEM -out "$out/document.txt.rsa.pem.p7s"

openssl cms -sign -binary -md sha256 -cades -in "$out/document.txt" \
    -signer "$out/signer-rsa.pem" -inkey "$out/signer-rsa.key.pem" \
    -signer "$out/signer-ecdsa.pem" -inkey "$out/signer-ecdsa.key.pem" \
    -certfile "$chain_issuing" -outform DER -out "$out/document.txt.two-signers.p7s"

# ---------------------------------------------------------------------------------------------
# SOURCE.md
# ---------------------------------------------------------------------------------------------
generated=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$out/SOURCE.md" <<EOF
# tests/data/pki

Generated by \`scripts/make-test-pki.sh\` with the \`openssl\` CLI ($openssl_version, Debian 12)
on $generated (the CRLs' lastUpdate, the revocation date and every signingTime are about then).
Re-running the script wipes and recreates this folder; keys and serials are random, so the files
change on every run. **All private keys here are throw-away test keys**: never trust them
anywhere. Everything is sha256 (except \`document.txt.rsa-sha1.p7s\`).

Certificates are valid 2026-01-01T00:00:00Z to 2046-01-01T00:00:00Z unless stated. Issued
end-entity certificates under the issuing CA carry a CRL distribution point
\`$crl_dp\` that is never meant to be fetched (use the CRL files here).
Names are UTF-8 (\`string_mask = utf8only\`): every attribute is a UTF8String except
countryName (PrintableString); the userId attribute (UID, 0.9.2342.19200300.100.1.1) is a
UTF8String.

## CAs and CRLs

| File | What |
|---|---|
| \`root-ca.pem\`, \`root-ca.key.pem\` | Trust anchor, self-signed, RSA-3072. \`C=VN, O=Bộ Thông tin và Truyền thông, CN=Motcua Test Root CA\`; basicConstraints critical CA:TRUE; keyUsage critical keyCertSign, cRLSign; SKI. |
| \`intermediate-ca.pem\`, \`intermediate-ca.key.pem\` | Issuing CA signed by the root, RSA-2048. \`C=VN, O=Motcua Test CA, CN=Motcua Test Issuing CA\`; CA:TRUE pathlen:0 (critical); keyUsage critical keyCertSign, cRLSign; AKI/SKI; CRL DP as above. |
| \`intermediate.crl.pem\`, \`intermediate.crl.der\` | The issuing CA's CRL (v2, crlNumber 1, AKI): lists \`signer-revoked.pem\` with reason keyCompromise. lastUpdate = generation time, nextUpdate 2046-01-01. |
| \`root.crl.pem\`, \`root.crl.der\` | The root's CRL (v2, crlNumber 1, AKI): empty, i.e. the intermediate is not revoked. Same dates. |
| \`untrusted-root.pem\`, \`untrusted-root.key.pem\` | A second self-signed root \`C=VN, CN=Untrusted Root\` (RSA-2048, same extensions as the root) that is *not* a trust anchor. |

## Signers

Unless stated: issued by the intermediate; keyUsage critical digitalSignature, nonRepudiation;
extendedKeyUsage emailProtection (NSS, and so poppler's pdfsig, requires it of a PDF signer), 1.3.6.1.4.1.311.10.3.12 (Microsoft document signing) and 1.2.840.113583.1.1.5
(Adobe PDF signing); basicConstraints critical CA:FALSE; AKI/SKI; CRL DP.
Each \`X.pem\` has its key in \`X.key.pem\` (unencrypted PKCS#8).

| File | Key | Subject | Notes |
|---|---|---|---|
| \`signer-rsa.pem\` | RSA-2048 | \`C=VN, ST=Hà Nội, L=Cầu Giấy, O=Công ty TNHH Mẫu, CN=Công ty TNHH Mẫu, UID=MST:0106869738\` | good |
| \`signer-ecdsa.pem\` | EC P-256 | \`C=VN, ST=Hải Phòng, O=Công ty Cổ phần Thử Nghiệm, CN=Công ty Cổ phần Thử Nghiệm, UID=MST:0106869738-012\` | good (branch tax code) |
| \`signer-citizen.pem\` | EC P-384 | \`C=VN, CN=Nguyễn Văn An, UID=CCCD:001203004567\` | good (individual) |
| \`signer-revoked.pem\` | RSA-2048 | \`C=VN, O=Công ty Bị Thu Hồi, CN=Công ty Bị Thu Hồi, UID=MST:0100109106\` | revoked (keyCompromise) in \`intermediate.crl.*\` |
| \`signer-wrong-usage.pem\` | RSA-2048 | \`C=VN, CN=Sai Mục Đích, UID=MST:0100109106\` | keyUsage critical keyEncipherment only; no EKU |
| \`signer-eku-server.pem\` | RSA-2048 | \`C=VN, CN=Máy Chủ Web\` | keyUsage critical digitalSignature; EKU serverAuth only; no UID |
| \`signer-short.pem\` | RSA-2048 | \`C=VN, CN=Ngắn Hạn, UID=MST:0106869738\` | valid 2026-01-01 to 2026-02-01 only (expired) |
| \`not-a-ca.pem\` | RSA-2048 | \`C=VN, CN=Không Phải CA\` | end entity (CA:FALSE, keyUsage critical digitalSignature, no EKU) used below as an issuer |
| \`signer-under-not-a-ca.pem\` | RSA-2048 | \`C=VN, CN=Dưới Không Phải CA\` | issued by \`not-a-ca.pem\`; digitalSignature, nonRepudiation; no EKU, no CRL DP. The path root -> intermediate -> not-a-ca -> signer must be rejected; it breaks three rules at once: not-a-ca is CA:FALSE, has no keyCertSign, and the intermediate's pathlen:0 is exceeded |
| \`signer-untrusted.pem\` | RSA-2048 | \`C=VN, CN=Không Tin Cậy, UID=MST:0106869738\` | issued by \`untrusted-root.pem\`; digitalSignature, nonRepudiation; no EKU, no CRL DP |

## Signed files

\`document.txt\` is Vietnamese UTF-8 text (LF line endings); \`tampered.txt\` is the same with one
character changed (\`số 123/2026\` -> \`số 124/2026\`): every signature below must fail on it.

All are CMS SignedData made with \`openssl cms -sign -binary -md sha256\`, detached and DER unless
stated, signed after the revocation of \`signer-revoked.pem\` (signingTime >= its revocation
date). They carry signed attributes contentType, signingTime, messageDigest and
SMIMECapabilities; those marked *CAdES* (\`-cades\`) also carry signing-certificate-v2
(1.2.840.113549.1.9.16.2.47), except that with \`-md sha1\` OpenSSL writes the v1
signing-certificate attribute (1.2.840.113549.1.9.16.2.12, ESSCertID with a SHA-1 hash) instead.
SignerInfos use issuerAndSerialNumber; OpenSSL writes the RSA SignerInfos' signatureAlgorithm
as rsaEncryption (1.2.840.113549.1.1.1, the digest being given by digestAlgorithm) and the EC ones
as ecdsa-with-SHA256 (also for the P-384 key). The certificates embedded are the signer's plus the issuing chain
without the root (\`intermediate-ca.pem\`), except as stated.

| File | Signer | Notes |
|---|---|---|
| \`document.txt.rsa.p7s\` | signer-rsa | CAdES |
| \`document.txt.ecdsa.p7s\` | signer-ecdsa | CAdES |
| \`document.txt.citizen.p7s\` | signer-citizen | |
| \`document.txt.revoked.p7s\` | signer-revoked | signer revoked |
| \`document.txt.wrong-usage.p7s\` | signer-wrong-usage | key usage forbids signing |
| \`document.txt.eku-server.p7s\` | signer-eku-server | EKU is serverAuth only |
| \`document.txt.short.p7s\` | signer-short | signingTime is after the certificate's notAfter |
| \`document.txt.untrusted.p7s\` | signer-untrusted | only the signer certificate embedded; chains to the untrusted root |
| \`document.txt.under-not-a-ca.p7s\` | signer-under-not-a-ca | embeds not-a-ca.pem and intermediate-ca.pem |
| \`document.txt.rsa-nocades.p7s\` | signer-rsa | without signing-certificate-v2 |
| \`document.txt.rsa-attached.p7s\` | signer-rsa | CAdES, encapsulated content (\`-nodetach\`) |
| \`document.txt.rsa.pem.p7s\` | signer-rsa | the very same SignedData as \`document.txt.rsa.p7s\`, PEM (\`-----BEGIN CMS-----\`) |
| \`document.txt.rsa-sha1.p7s\` | signer-rsa | \`-cades -md sha1\`: weak digest, to be refused by policy; carries signing-certificate v1, not v2 |
| \`document.txt.two-signers.p7s\` | signer-rsa and signer-ecdsa | CAdES, two SignerInfos |

Check with e.g.:

    openssl verify -CAfile root-ca.pem -untrusted intermediate-ca.pem signer-rsa.pem
    openssl verify -crl_check -CAfile root-ca.pem -untrusted intermediate-ca.pem \\
        -CRLfile intermediate.crl.pem signer-revoked.pem
    openssl cms -verify -binary -content document.txt -inform DER -in document.txt.rsa.p7s \\
        -CAfile root-ca.pem -purpose any -out /dev/null
EOF

# ---------------------------------------------------------------------------------------------
# Install
# ---------------------------------------------------------------------------------------------
chmod 644 "$out"/*
rm -rf -- "$out_final"
mkdir -p "$out_final"
cp -- "$out"/* "$out_final/"
echo "wrote $(find "$out_final" -type f | wc -l) files to ${out_final#"$repo"/}" \
    "($(cat "$out_final"/* | wc -c) bytes)"

# OCSP material under the issuing CA.
"$repo/scripts/make-test-ocsp.sh"
"$repo/scripts/make-test-tsa.sh"
