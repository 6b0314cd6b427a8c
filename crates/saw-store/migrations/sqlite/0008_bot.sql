-- The chatbot: flows as YAML (the export/import format), one per channel or the account's
-- default (channel_id NULL); the bot's state with each ticket it is talking on; and what
-- it did (options chosen, automatic replies, fields collected, misses) for the metrics.
CREATE TABLE flows (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    channel_id  INTEGER REFERENCES channels(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    yaml        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX flows_account ON flows(account_id, channel_id);

ALTER TABLE tickets ADD COLUMN bot_state TEXT;

CREATE TABLE bot_records (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX bot_records_account_at ON bot_records(account_id, at);
