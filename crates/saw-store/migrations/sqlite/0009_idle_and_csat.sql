-- A bot conversation left unanswered this long is closed politely (0: never), and whether a
-- resolved ticket asks the customer for a rating from 1 to 5.
ALTER TABLE accounts ADD COLUMN bot_idle_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE accounts ADD COLUMN csat_enabled INTEGER NOT NULL DEFAULT 0;

-- The satisfaction question of a resolved ticket: when it was asked, and the answer. An
-- answer is recorded here and does not reopen the ticket.
ALTER TABLE tickets ADD COLUMN csat_asked_at INTEGER;
ALTER TABLE tickets ADD COLUMN csat_rating INTEGER CHECK (csat_rating BETWEEN 1 AND 5);
ALTER TABLE tickets ADD COLUMN csat_answered_at INTEGER;
CREATE INDEX tickets_bot_idle ON tickets(status, last_message_at) WHERE status = 'bot';
