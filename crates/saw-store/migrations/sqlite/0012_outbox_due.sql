-- The dispatcher's lease walks the queued outbound messages in id order and checks that no
-- older one of the same ticket is still queued. These indexes hold only the queued rows, so
-- that walk costs what the outbox holds, not what the history holds.
CREATE INDEX messages_outbox_due ON messages(id)
    WHERE status = 'queued' AND direction = 'out' AND is_note = FALSE;
CREATE INDEX messages_outbox_ticket ON messages(ticket_id, id)
    WHERE status = 'queued' AND direction = 'out' AND is_note = FALSE;
