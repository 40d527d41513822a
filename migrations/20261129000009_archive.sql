-- The archive (issue 7): imported records and disposals.

-- Records imported from an existing paper archive: one dossier per source code (the import's
-- idempotency key), with the day the record closed (its retention counts from that year).
CREATE TABLE archive_imports (
    source_code   TEXT PRIMARY KEY,
    dossier_id    TEXT NOT NULL UNIQUE REFERENCES dossiers (id),
    closed_on     TEXT NOT NULL,
    imported_by   TEXT NOT NULL REFERENCES api_tokens (id),
    imported_at   TEXT NOT NULL,
    ledger_index  BIGINT NOT NULL
);

-- Disposal: an archivist asks, citing the disposal decision; an administrator approves. On
-- approval the dossier is marked disposed, and each of its objects no other live record holds
-- is marked disposed and its bytes deleted. Rows and log entries stay: the disposal is provable.
CREATE TABLE disposals (
    dossier_id      TEXT PRIMARY KEY REFERENCES dossiers (id),
    decision        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    requested_by    TEXT NOT NULL REFERENCES api_tokens (id),
    requested_at    TEXT NOT NULL,
    request_index   BIGINT NOT NULL,
    approved_by     TEXT REFERENCES api_tokens (id),
    approved_at     TEXT,
    approval_index  BIGINT,
    objects_deleted BIGINT,
    objects_kept    BIGINT
);

ALTER TABLE objects ADD COLUMN disposed_at TEXT;
