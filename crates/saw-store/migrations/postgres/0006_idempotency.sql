-- A retried API call with the same Idempotency-Key returns the first result instead of
-- sending twice.
CREATE TABLE idempotency_keys (
    user_id     BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets(id),
    message_id  BIGINT  NOT NULL REFERENCES messages(id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
