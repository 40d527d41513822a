-- Signature verification at intake: whether paper originals are waived, and the stored reports.

ALTER TABLE dossiers ADD COLUMN originals TEXT;
ALTER TABLE dossiers ADD COLUMN originals_reason TEXT;

-- One row per verified signature file (.p7s): which document it signs, the outcome, and the
-- report kept as an object (content-addressed, like every document).
CREATE TABLE signature_reports (
    id                     TEXT PRIMARY KEY,
    dossier_id             TEXT NOT NULL REFERENCES dossiers (id),
    signature_document_id  TEXT NOT NULL REFERENCES documents (id),
    signed_document_id     TEXT REFERENCES documents (id),
    report_sha256          TEXT NOT NULL REFERENCES objects (sha256),
    indication             TEXT NOT NULL,
    sub_indication         TEXT,
    signer_tax_code        TEXT,
    created_at             TEXT NOT NULL,
    ledger_index           BIGINT
);
CREATE INDEX signature_reports_by_dossier ON signature_reports (dossier_id);
