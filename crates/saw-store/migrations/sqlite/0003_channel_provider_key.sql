-- The provider's own id for each channel, so an inbound webhook finds its channel: the
-- WhatsApp phone number id or the Telegram bot id (NULL for the sandbox). One channel per
-- number or bot in the whole installation: two channels answering the same number would
-- each take the other's messages.
ALTER TABLE channels ADD COLUMN provider_key TEXT;
CREATE UNIQUE INDEX channels_provider_key ON channels(kind, provider_key);
-- Removing a channel checks whether tickets still point at it.
CREATE INDEX tickets_channel ON tickets(channel_id);
