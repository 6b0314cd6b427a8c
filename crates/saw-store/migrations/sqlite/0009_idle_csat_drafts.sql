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

-- Flows being edited: a draft per scope (the account's default, channel_id NULL, or one
-- channel's), tried on the sandbox before it is published. Sandbox tickets started to try
-- a draft keep talking with it.
CREATE TABLE flow_drafts (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    channel_id  INTEGER REFERENCES channels(id) ON DELETE CASCADE,
    yaml        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX flow_drafts_account ON flow_drafts(account_id, channel_id);
ALTER TABLE tickets ADD COLUMN bot_trial INTEGER NOT NULL DEFAULT 0;
