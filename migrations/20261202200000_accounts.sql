-- People (issue 15): accounts with passwords, a second factor and sessions kept in the
-- database so that any node accepts them; sign-in throttling; the security events of accounts;
-- who read an applicant's dossier.

-- A person. Rights are those of a token with the same attributes (role, unit, agency, tax code,
-- identification number, branches). The username is stored lower-case.
CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    name                 TEXT,
    role                 TEXT NOT NULL,
    unit_code            TEXT REFERENCES units (code),
    agency               TEXT,
    tax_code             TEXT,
    id_number            TEXT,
    branches             BIGINT NOT NULL DEFAULT 0,
    -- Argon2id in the PHC string format; NULL: signs in only through the identity provider.
    password_hash        TEXT,
    -- The identity provider's subject ("iss sub") once the account signed in through it.
    oidc_subject         TEXT UNIQUE,
    -- The TOTP key (base32) once enrolled, the one awaiting confirmation, and the last time
    -- step accepted (a code is good once).
    totp_secret          TEXT,
    totp_pending         TEXT,
    totp_last_step       BIGINT,
    -- The address of the latest successful sign-in: an account locked by failures from
    -- elsewhere still lets its owner in from there.
    last_sign_in_address TEXT,
    last_sign_in_at      TEXT,
    disabled_at          TEXT,
    created_by           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX accounts_unit ON accounts (unit_code);

-- Single-use recovery codes of the second factor (SHA-256 of each; 80 random bits apiece).
CREATE TABLE recovery_codes (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    code_hash   TEXT NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (account_id, code_hash)
);

-- Sessions: the SHA-256 of the cookie's secret, never the secret.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    csrf_token    TEXT NOT NULL,
    -- 1 while the account must still enrol a second factor: the session may do nothing else.
    enrol_only    BIGINT NOT NULL DEFAULT 0,
    address       TEXT,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ended_at      TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed sign-ins per key (`account:<username>`, `address:<ip>`): how many in a row, when the
-- last was, and until when the key is refused.
CREATE TABLE sign_in_throttle (
    key              TEXT PRIMARY KEY,
    failures         BIGINT NOT NULL,
    last_failure_at  TEXT NOT NULL,
    locked_until     TEXT
);

-- What happened to accounts: sign-ins, failures, lockouts, enrolments, changes. Never a secret.
CREATE TABLE security_events (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    username    TEXT,
    account_id  TEXT,
    actor       TEXT,
    address     TEXT,
    detail      TEXT
);
CREATE INDEX security_events_account ON security_events (account_id, at);
CREATE INDEX security_events_at ON security_events (at);

-- Staff reads of a dossier, so that its applicant can see who at which unit opened it.
CREATE TABLE dossier_reads (
    id           TEXT PRIMARY KEY,
    dossier_id   TEXT NOT NULL REFERENCES dossiers (id),
    at           TEXT NOT NULL,
    reader       TEXT NOT NULL,
    reader_name  TEXT,
    role         TEXT NOT NULL,
    unit_code    TEXT,
    agency       TEXT,
    what         TEXT NOT NULL
);
CREATE INDEX dossier_reads_dossier ON dossier_reads (dossier_id, at);
