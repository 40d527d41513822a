-- Fixity audits (issue 7): stored objects re-hashed in the background, rate-limited and
-- resumable (the cursor is the last object checked), each finding kept, each finished audit
-- logged.

CREATE TABLE fixity_audits (
    id            TEXT PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    cursor        TEXT NOT NULL,
    checked       BIGINT NOT NULL,
    bytes         BIGINT NOT NULL,
    problems      BIGINT NOT NULL,
    ledger_index  BIGINT
);
CREATE INDEX fixity_audits_by_time ON fixity_audits (started_at);

CREATE TABLE fixity_findings (
    audit_id  TEXT NOT NULL REFERENCES fixity_audits (id),
    sha256    TEXT NOT NULL,
    problem   TEXT NOT NULL,
    found_at  TEXT NOT NULL,
    PRIMARY KEY (audit_id, sha256)
);
