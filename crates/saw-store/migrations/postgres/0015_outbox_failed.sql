-- The dispatcher walks messages_outbox_due (0012) now; the old index over every message's
-- status was left for counting the failed ones, yet every message written and every status
-- a provider reports (sent, delivered, read) rewrote it. An index of the failed ones alone
-- answers that count.
DROP INDEX messages_outbox;
CREATE INDEX messages_outbox_failed ON messages(id) WHERE direction = 'out' AND status = 'failed';
