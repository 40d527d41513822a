-- Foundation: API tokens, dossiers, their documents and the objects they point at.
-- Portable SQL: the same file runs on SQLite and PostgreSQL. Ids are UUID text, instants are
-- fixed-width RFC 3339 UTC text (text order is time order), digests are lowercase hex.

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    tax_code    TEXT,
    id_number   TEXT,
    agency      TEXT,
    name        TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- One row per unit and day; the counter behind dossier codes. Incremented with
-- INSERT .. ON CONFLICT .. DO UPDATE .. RETURNING inside the dossier's transaction, which both
-- databases serialise on the row: no duplicate and no gap, across app instances.
CREATE TABLE dossier_code_sequences (
    unit_code   TEXT NOT NULL,
    day         TEXT NOT NULL,
    last_value  BIGINT NOT NULL,
    PRIMARY KEY (unit_code, day)
);

CREATE TABLE dossiers (
    id                   TEXT PRIMARY KEY,
    code                 TEXT NOT NULL UNIQUE,
    procedure_code       TEXT NOT NULL,
    status               TEXT NOT NULL,
    applicant_kind       TEXT NOT NULL,
    applicant_tax_code   TEXT,
    applicant_id_number  TEXT,
    applicant_name       TEXT NOT NULL,
    details              TEXT NOT NULL,
    submitted_by         TEXT NOT NULL REFERENCES api_tokens (id),
    submitted_at         TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX dossiers_by_time ON dossiers (submitted_at, id);
CREATE INDEX dossiers_by_tax_code ON dossiers (applicant_tax_code, submitted_at, id);
CREATE INDEX dossiers_by_id_number ON dossiers (applicant_id_number, submitted_at, id);
CREATE INDEX dossiers_by_procedure ON dossiers (procedure_code, submitted_at, id);
CREATE INDEX dossiers_by_status ON dossiers (status, submitted_at, id);

-- Every object a record refers to. The store holds the bytes; this table is what the orphan
-- sweep consults.
CREATE TABLE objects (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE documents (
    id          TEXT PRIMARY KEY,
    dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
    position    BIGINT NOT NULL,
    filename    TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL REFERENCES objects (sha256),
    created_at  TEXT NOT NULL,
    UNIQUE (dossier_id, position)
);
CREATE INDEX documents_by_sha256 ON documents (sha256);
