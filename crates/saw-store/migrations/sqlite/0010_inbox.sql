-- What each person last read of each ticket: the inbox's unread counters.
CREATE TABLE ticket_reads (
    user_id               INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ticket_id             INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    last_read_message_id  INTEGER NOT NULL,
    PRIMARY KEY (user_id, ticket_id)
);

-- The inbox's tabs: waiting oldest first, and the others by their last message.
CREATE INDEX tickets_inbox_waiting ON tickets(account_id, status, queued_at);
CREATE INDEX tickets_inbox_recent ON tickets(account_id, status, last_message_at);
CREATE INDEX tickets_inbox_resolved ON tickets(account_id, status, resolved_at);

-- Agents' replies start with their name ("*Ana*: …") when the account wants it.
ALTER TABLE accounts ADD COLUMN signature INTEGER NOT NULL DEFAULT 0;

-- Quick replies, made again before any was written: each belongs to a person (their own)
-- or to nobody (shared with the whole team), and a shortcut is unique per owner.
DROP TABLE quick_replies;
CREATE TABLE quick_replies (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    owner_user_id  INTEGER REFERENCES users(id) ON DELETE CASCADE,
    shortcut       TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    created_by     INTEGER REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX quick_replies_shortcut ON quick_replies(account_id, COALESCE(owner_user_id, 0), shortcut);

-- An agent's status: only 'available' agents get tickets distributed automatically.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'available'
    CHECK (status IN ('available', 'paused', 'away'));

-- How a queue hands out its waiting tickets: by hand ('manual': agents accept), or to its
-- available agents online in turn ('round_robin') or to the one with fewest open tickets
-- ('least_busy'); and how long a ticket may wait before it is shown as late (0: no limit).
ALTER TABLE queues ADD COLUMN distribution TEXT NOT NULL DEFAULT 'manual'
    CHECK (distribution IN ('manual', 'round_robin', 'least_busy'));
ALTER TABLE queues ADD COLUMN last_assigned_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE queues ADD COLUMN max_wait_minutes INTEGER NOT NULL DEFAULT 0;

-- When each person had the inbox open: who is online now, and time online for the metrics.
CREATE TABLE user_presence (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX user_presence_open ON user_presence(user_id) WHERE ended_at IS NULL;
CREATE INDEX user_presence_account ON user_presence(account_id, started_at);

-- Browsers (phones) that asked for Web Push notifications, per person: the subscription
-- as the browser gave it (endpoint and keys, JSON). A push service that answers 404 or 410
-- for an endpoint has forgotten it, and the row goes.
CREATE TABLE push_subscriptions (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint      TEXT NOT NULL UNIQUE,
    subscription  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);
