-- Inbound traffic: the customer's reaction on a message, the provider's user id of a
-- contact (WhatsApp BSUID), and delivery statuses that arrive before the message they are
-- about is known (Meta's `sent` can beat SAW's own record of the id).
ALTER TABLE messages ADD COLUMN reaction TEXT;
ALTER TABLE contacts ADD COLUMN provider_user_id TEXT;

CREATE TABLE pending_statuses (
    id           INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    provider_id  TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    error        TEXT,
    at           INTEGER NOT NULL
);
CREATE INDEX pending_statuses_message ON pending_statuses(channel_id, provider_id);
CREATE INDEX tickets_open_for_contact ON tickets(contact_id, channel_id, status);
