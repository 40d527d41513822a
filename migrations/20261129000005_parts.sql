-- Interlinked procedures (liên thông, issue 6): a dossier has one part per procedure it was
-- filed under (its own and the linked ones it asked for), each handled by that procedure's
-- agency and done when that agency issues its result. The dossier completes when every part is
-- done.

CREATE TABLE dossier_parts (
    dossier_id      TEXT NOT NULL REFERENCES dossiers (id),
    procedure_code  TEXT NOT NULL,
    agency          TEXT NOT NULL,
    -- open or done
    status          TEXT NOT NULL,
    result_id       TEXT,
    done_at         TEXT,
    PRIMARY KEY (dossier_id, procedure_code)
);
CREATE INDEX dossier_parts_by_agency ON dossier_parts (agency, dossier_id);
