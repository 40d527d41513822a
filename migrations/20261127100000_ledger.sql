-- The integrity log: entries (exact canonical bytes), the complete nodes of the RFC 9162 tree,
-- the head (size, last leaf, compact range) that appends lock, signed checkpoints, and the
-- log's verifier key.

CREATE TABLE ledger_entries (
    idx         BIGINT PRIMARY KEY,
    leaf_hash   TEXT NOT NULL,
    entry       TEXT NOT NULL
);

-- Complete subtrees: (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
CREATE TABLE ledger_nodes (
    level       BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

-- One row. Appends lock it (PostgreSQL: SELECT .. FOR UPDATE; SQLite: BEGIN IMMEDIATE), which
-- totally orders them across connections and app instances.
CREATE TABLE ledger_head (
    id          BIGINT PRIMARY KEY,
    size        BIGINT NOT NULL,
    last_leaf   TEXT,
    frontier    TEXT NOT NULL
);
INSERT INTO ledger_head (id, size, last_leaf, frontier) VALUES (1, 0, NULL, '');

CREATE TABLE ledger_checkpoints (
    tree_size   BIGINT PRIMARY KEY,
    root_hash   TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- The verifier key the log is signed with, recorded at first start, so that an instance with
-- another key refuses to start rather than sign a fork.
CREATE TABLE ledger_keys (
    id           BIGINT PRIMARY KEY,
    verifier_key TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

ALTER TABLE dossiers ADD COLUMN ledger_index BIGINT;
ALTER TABLE documents ADD COLUMN ledger_index BIGINT;
