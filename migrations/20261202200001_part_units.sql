-- Interlinked parts processed at another unit (issue 15): a ward receives, the district's
-- police processes its part. Each part records the unit that processes it; parts recorded
-- before are processed where their dossier was received (NULL reads as that).
ALTER TABLE dossier_parts ADD COLUMN unit_code TEXT;
CREATE INDEX dossier_parts_by_unit ON dossier_parts (unit_code, dossier_id);
