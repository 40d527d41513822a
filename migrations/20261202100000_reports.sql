-- One-stop reports (issue 15, §3): what the figures are counted from, kept on the dossier row by
-- the move that makes it true, in that move's transaction (as status and due_on are):
--   channel      how it came in: 'online' (filed by the applicant's own token) or 'counter'
--                (filed by staff at the counter); NULL for records imported from an archive.
--   received_on  the day (Vietnam, YYYY-MM-DD) of its first move to RECEIVED (tiếp nhận); NULL
--                for imported records, which were received by an earlier system.
--   closed_on    the day (Vietnam) of the move that ended its handling: to RESULT_ISSUED
--                (settled, giải quyết) or to REJECTED (refused, từ chối); NULL while open.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.

ALTER TABLE dossiers ADD COLUMN channel TEXT;
ALTER TABLE dossiers ADD COLUMN received_on TEXT;
ALTER TABLE dossiers ADD COLUMN closed_on TEXT;

-- Dossiers filed before this migration, from their submitter and their moves. A move's time is
-- fixed-width UTC text ('YYYY-MM-DDTHH:MM:SS.ffffffZ'); its day in Vietnam (UTC+07:00) is the
-- same day before 17:00 and the next one from 17:00, written out with the month lengths and the
-- Gregorian leap rule, since the two databases share no date function.
UPDATE dossiers SET channel = CASE
    WHEN (SELECT role FROM api_tokens WHERE api_tokens.id = dossiers.submitted_by)
        IN ('business', 'citizen') THEN 'online'
    ELSE 'counter' END
WHERE EXISTS (SELECT 1 FROM dossier_transitions t
              WHERE t.dossier_id = dossiers.id AND t.to_status = 'RECEIVED');

UPDATE dossiers SET received_on = (
    SELECT CASE
        WHEN substr(m.at, 12, 2) < '17' THEN substr(m.at, 1, 10)
        WHEN CAST(substr(m.at, 9, 2) AS INTEGER) < CASE
            WHEN substr(m.at, 6, 2) IN ('04', '06', '09', '11') THEN 30
            WHEN substr(m.at, 6, 2) = '02' THEN CASE
                WHEN (CAST(substr(m.at, 1, 4) AS INTEGER) % 4 = 0
                      AND CAST(substr(m.at, 1, 4) AS INTEGER) % 100 <> 0)
                  OR CAST(substr(m.at, 1, 4) AS INTEGER) % 400 = 0 THEN 29
                ELSE 28 END
            ELSE 31 END
        THEN substr(m.at, 1, 8)
            || substr(CAST(101 + CAST(substr(m.at, 9, 2) AS INTEGER) AS TEXT), 2, 2)
        WHEN substr(m.at, 6, 2) = '12'
        THEN CAST(CAST(substr(m.at, 1, 4) AS INTEGER) + 1 AS TEXT) || '-01-01'
        ELSE substr(m.at, 1, 5)
            || substr(CAST(101 + CAST(substr(m.at, 6, 2) AS INTEGER) AS TEXT), 2, 2) || '-01'
    END
    FROM (SELECT MIN(t.at) AS at FROM dossier_transitions t
          WHERE t.dossier_id = dossiers.id AND t.to_status = 'RECEIVED') m
    WHERE m.at IS NOT NULL);

UPDATE dossiers SET closed_on = (
    SELECT CASE
        WHEN substr(m.at, 12, 2) < '17' THEN substr(m.at, 1, 10)
        WHEN CAST(substr(m.at, 9, 2) AS INTEGER) < CASE
            WHEN substr(m.at, 6, 2) IN ('04', '06', '09', '11') THEN 30
            WHEN substr(m.at, 6, 2) = '02' THEN CASE
                WHEN (CAST(substr(m.at, 1, 4) AS INTEGER) % 4 = 0
                      AND CAST(substr(m.at, 1, 4) AS INTEGER) % 100 <> 0)
                  OR CAST(substr(m.at, 1, 4) AS INTEGER) % 400 = 0 THEN 29
                ELSE 28 END
            ELSE 31 END
        THEN substr(m.at, 1, 8)
            || substr(CAST(101 + CAST(substr(m.at, 9, 2) AS INTEGER) AS TEXT), 2, 2)
        WHEN substr(m.at, 6, 2) = '12'
        THEN CAST(CAST(substr(m.at, 1, 4) AS INTEGER) + 1 AS TEXT) || '-01-01'
        ELSE substr(m.at, 1, 5)
            || substr(CAST(101 + CAST(substr(m.at, 6, 2) AS INTEGER) AS TEXT), 2, 2) || '-01'
    END
    FROM (SELECT MIN(t.at) AS at FROM dossier_transitions t
          WHERE t.dossier_id = dossiers.id AND t.to_status IN ('RESULT_ISSUED', 'REJECTED')) m
    WHERE m.at IS NOT NULL);

-- The report's queries (db::reports) read these indexes only. Each one is ordered as its query
-- groups (unit, procedure, month in Vietnam), so SQLite, which aggregates by sorting, streams
-- the groups out of the index instead of sorting a year of rows; the month is the first seven
-- characters of the day, an expression both databases index.
CREATE INDEX dossiers_received_by_month
    ON dossiers (unit_code, procedure_code, (substr(received_on, 1, 7)), channel, received_on);
CREATE INDEX dossiers_closed_by_month
    ON dossiers (unit_code, procedure_code, (substr(closed_on, 1, 7)), closed_on, status, due_on);
-- Open and late dossiers by unit: those in progress at a report's end, and those that passed
-- their due date while open.
CREATE INDEX dossiers_due_by_unit
    ON dossiers (unit_code, due_on, closed_on, received_on, procedure_code);
CREATE INDEX dossiers_open_by_unit
    ON dossiers (unit_code, closed_on, received_on, procedure_code, due_on);
-- Supplement requests in a period, each with its dossier's unit and procedure (the unit last,
-- so that a list of units does not turn each look-up into one per unit).
CREATE INDEX dossier_transitions_by_status ON dossier_transitions (to_status, at, dossier_id);
CREATE INDEX dossiers_id_unit ON dossiers (id, procedure_code, unit_code);
