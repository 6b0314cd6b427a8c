-- Channel health: why a channel stopped sending (expired token, blocked number, a flood of
-- failures) and since when; NULL while healthy. The outbox holds a channel's messages while
-- it is down instead of burning their retries.
ALTER TABLE channels ADD COLUMN health_error TEXT;
ALTER TABLE channels ADD COLUMN health_since INTEGER;
ALTER TABLE channels ADD COLUMN health_retry_at INTEGER;
ALTER TABLE channels ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;

-- The customer-service window: WhatsApp accepts free-form messages only within 24 hours of
-- the customer's last message.
ALTER TABLE tickets ADD COLUMN last_inbound_at INTEGER;

-- Outbound content other than plain text (menus, media, templates), as JSON.
ALTER TABLE messages ADD COLUMN payload TEXT;

-- Media: inbound files are fetched by a background job into the data dir's media store
-- (`media_state` pending → ready | unavailable); outbound files are uploaded from there.
ALTER TABLE messages ADD COLUMN media_state TEXT CHECK (media_state IN ('pending', 'ready', 'unavailable'));
ALTER TABLE messages ADD COLUMN media_path TEXT;
ALTER TABLE messages ADD COLUMN media_size INTEGER;
ALTER TABLE messages ADD COLUMN media_filename TEXT;
ALTER TABLE messages ADD COLUMN media_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN media_next_at INTEGER;
ALTER TABLE messages ADD COLUMN media_claimed_until INTEGER;
ALTER TABLE messages ADD COLUMN media_error TEXT;
CREATE INDEX messages_media_pending ON messages(media_next_at) WHERE media_state = 'pending';

-- A WhatsApp channel's approved templates, synced from Meta.
CREATE TABLE channel_templates (
    id               INTEGER PRIMARY KEY,
    channel_id       INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    language         TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    category         TEXT,
    body_text        TEXT,
    body_params      INTEGER NOT NULL DEFAULT 0,
    header_params    INTEGER NOT NULL DEFAULT 0,
    components       TEXT    NOT NULL DEFAULT '[]',
    synced_at        INTEGER NOT NULL,
    UNIQUE (channel_id, name, language)
);

-- At most one unresolved ticket per contact and channel, held by the database so it holds
-- across several SAW processes on one PostgreSQL.
CREATE UNIQUE INDEX tickets_one_unresolved ON tickets(contact_id, channel_id) WHERE status <> 'resolved';

-- Conversation settings: the greeting a new ticket gets (NULL: the built-in text in the
-- account's language), how long after resolution a customer's message reopens the ticket
-- instead of opening a new one, and whether anyone (not only users) may try the sandbox.
ALTER TABLE accounts ADD COLUMN greeting TEXT;
ALTER TABLE accounts ADD COLUMN sandbox_public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN reopen_grace_minutes INTEGER NOT NULL DEFAULT 120;
