-- Results: the signed PDFs an agency issues for a dossier. A row is written once and never
-- changed (the PDF is content-addressed); revoking a result is a row of its own.

CREATE TABLE results (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    dossier_id      TEXT NOT NULL REFERENCES dossiers (id),
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    sha256          TEXT NOT NULL REFERENCES objects (sha256),
    size            BIGINT NOT NULL,
    agency          TEXT NOT NULL,
    signer          TEXT NOT NULL,
    level           TEXT NOT NULL,
    issued_by       TEXT NOT NULL REFERENCES api_tokens (id),
    issued_at       TEXT NOT NULL,
    ledger_index    BIGINT NOT NULL,
    UNIQUE (dossier_id, seq)
);
CREATE INDEX results_by_sha256 ON results (sha256);

CREATE TABLE result_revocations (
    result_id       TEXT PRIMARY KEY REFERENCES results (id),
    reason          TEXT NOT NULL,
    revoked_by      TEXT NOT NULL REFERENCES api_tokens (id),
    revoked_at      TEXT NOT NULL,
    ledger_index    BIGINT NOT NULL
);
