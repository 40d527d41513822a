-- Legal holds (issue 7): a dossier under hold is never disposed of, whatever its retention;
-- placing and lifting are logged.

CREATE TABLE legal_holds (
    dossier_id    TEXT PRIMARY KEY REFERENCES dossiers (id),
    reason        TEXT NOT NULL,
    placed_by     TEXT NOT NULL REFERENCES api_tokens (id),
    placed_at     TEXT NOT NULL,
    ledger_index  BIGINT NOT NULL
);
