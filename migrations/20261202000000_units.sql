-- Administrative units (issue 15): one deployment for a whole city. Each unit has its code (the
-- first part of its dossiers' codes), a Vietnamese name, a level and a parent. Every change is a
-- log entry; the row keeps the index of the latest.
CREATE TABLE units (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,
    parent_code   TEXT REFERENCES units (code),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    ledger_index  BIGINT NOT NULL
);
CREATE INDEX units_parent ON units (parent_code);

-- The unit that received each dossier: the first part of its code, kept apart for the lists and
-- reports. Rows filed before this migration are filled in at start-up (motcua knows the codes).
ALTER TABLE dossiers ADD COLUMN unit_code TEXT;
CREATE INDEX dossiers_unit ON dossiers (unit_code, submitted_at);

-- Tokens of staff may be bound to a unit: they file at its counter.
ALTER TABLE api_tokens ADD COLUMN unit_code TEXT;
