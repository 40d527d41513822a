-- Notifications (issue 6): an outbox of applicant events, written in the transaction of the move
-- that causes them and delivered to the configured webhook afterwards, with retries. A row is
-- claimed by pushing next_attempt_at forward (a lease), so two nodes do not send it at once.

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    dossier_id       TEXT NOT NULL REFERENCES dossiers (id),
    event            TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    delivered_at     TEXT,
    -- Set when the retries are exhausted: kept for an operator, never sent again.
    failed_at        TEXT,
    last_error       TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
