-- The media fetcher's lease takes the oldest pending downloads first. Without an index of the
-- pending ones in id order, it walked the whole messages table every quarter of a second.
CREATE INDEX messages_media_due ON messages(id) WHERE media_state = 'pending';
