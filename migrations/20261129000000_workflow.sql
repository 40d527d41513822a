-- Workflow (issue 6): each dossier's version, for optimistic concurrency (a move names the
-- version it saw; a stale one is refused), and its status history: one row per move, with its
-- actor, time, reason and log entry. Portable SQL: the same file runs on SQLite and PostgreSQL.

ALTER TABLE dossiers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE dossier_transitions (
    id            TEXT PRIMARY KEY,
    dossier_id    TEXT NOT NULL REFERENCES dossiers (id),
    -- The dossier's version this move produced: unique per dossier, so two moves from the same
    -- version cannot both be recorded.
    version       BIGINT NOT NULL,
    from_status   TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    -- system, officer or applicant; the token that made the move (none for the system).
    actor         TEXT NOT NULL,
    actor_token   TEXT REFERENCES api_tokens (id),
    reason        TEXT,
    at            TEXT NOT NULL,
    ledger_index  BIGINT NOT NULL,
    UNIQUE (dossier_id, version)
);
