"""Validates every signature of a PDF with pyHanko using only the validation material in the
document's DSS: the given trust root, no fetching, revocation checking hard-fail. Used by the
B-LT tests (tests/api/ltv.rs); prints one line per signature: `<field> <pyHanko summary>`.

Usage: python3 validate_with_dss.py FILE.pdf ROOT.pem
"""
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

trust = load_cert_from_pemder(sys.argv[2])
with open(sys.argv[1], "rb") as f:
    reader = PdfFileReader(f)
    dss = DocumentSecurityStore.read_dss(reader)
    for sig in reader.embedded_signatures:
        context = dss.as_validation_context(
            {"trust_roots": [trust], "allow_fetching": False, "revocation_mode": "hard-fail"}
        )
        status = validate_pdf_signature(
            sig, signer_validation_context=context, ts_validation_context=context
        )
        print(sig.field_name, status.summary())
