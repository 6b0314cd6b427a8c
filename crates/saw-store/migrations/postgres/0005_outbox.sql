-- The outbox is the outbound messages still `queued`: each is a row before any provider
-- call. The dispatcher leases a row (`claimed_until`) while it sends it, counts attempts and
-- schedules retries (`next_attempt_at`).
ALTER TABLE messages ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN claimed_until TIMESTAMPTZ;
CREATE INDEX messages_outbox ON messages(status, direction, next_attempt_at);
