-- Paper originals at the counter (issue 6): where a document came from (submitted by the
-- applicant, or scanned by an officer from a paper original) and for which paper of the
-- procedure; and the officer's decision on each paper.

ALTER TABLE documents ADD COLUMN provenance TEXT NOT NULL DEFAULT 'submitted';
ALTER TABLE documents ADD COLUMN component TEXT;

CREATE TABLE originals_checks (
    id            TEXT PRIMARY KEY,
    dossier_id    TEXT NOT NULL REFERENCES dossiers (id),
    component     TEXT NOT NULL,
    -- matches, mismatch or missing; the latest row per component is the decision.
    outcome       TEXT NOT NULL,
    note          TEXT,
    checked_by    TEXT NOT NULL REFERENCES api_tokens (id),
    checked_at    TEXT NOT NULL,
    ledger_index  BIGINT NOT NULL
);
CREATE INDEX originals_checks_by_dossier ON originals_checks (dossier_id, checked_at);
