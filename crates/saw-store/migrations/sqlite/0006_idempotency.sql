-- A retried API call with the same Idempotency-Key returns the first result instead of
-- sending twice.
CREATE TABLE idempotency_keys (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
