-- Business branches (issue 6): a business token may also cover the dossiers of the business's
-- branches and dependent units (tax codes <its code>-NNN). 0 or 1.

ALTER TABLE api_tokens ADD COLUMN branches BIGINT NOT NULL DEFAULT 0;
