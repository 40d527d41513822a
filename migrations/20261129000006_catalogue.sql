-- The procedure catalogue as administrators publish it (issue 6): every version kept, the
-- latest in force on every node (overriding the built-in or --procedures one).

CREATE TABLE catalogue_versions (
    id            TEXT PRIMARY KEY,
    toml          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    published_by  TEXT NOT NULL REFERENCES api_tokens (id),
    published_at  TEXT NOT NULL,
    ledger_index  BIGINT NOT NULL
);
CREATE INDEX catalogue_versions_by_time ON catalogue_versions (published_at, id);
