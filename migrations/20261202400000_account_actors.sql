-- Every account is an actor the records name: dossiers.submitted_by, transitions.actor_token,
-- results.issued_by, originals' checked_by, holds' placed_by... all refer to api_tokens (id).
-- A person signed in acts as `account:<id>`, so each account gets a row there with its rights
-- (the reports read the submitter's role from it). Its id and token_hash are both
-- 'account:<id>': no SHA-256 in hex equals that, so no bearer token ever matches the row.
-- New accounts get theirs with the account (db::accounts::insert_account); these are the
-- accounts made before.
INSERT INTO api_tokens (id, token_hash, role, tax_code, id_number, agency, name, created_at,
                        branches, unit_code)
SELECT 'account:' || id, 'account:' || id, role, tax_code, id_number, agency, name, created_at,
       branches, unit_code
FROM accounts
WHERE ('account:' || id) NOT IN (SELECT id FROM api_tokens);
