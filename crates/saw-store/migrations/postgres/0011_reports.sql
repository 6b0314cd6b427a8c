-- Reports (docs/metrics.md). The tickets whose first agent reply or satisfaction question
-- falls in a range, and who wrote that first reply.
CREATE INDEX tickets_first_reply ON tickets(account_id, first_agent_reply_at);
CREATE INDEX tickets_csat_asked ON tickets(account_id, csat_asked_at);
ALTER TABLE tickets ADD COLUMN first_agent_reply_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
UPDATE tickets SET first_agent_reply_by = (
    SELECT m.author_user_id FROM messages m
    WHERE m.ticket_id = tickets.id AND m.direction = 'out' AND m.is_note = FALSE AND m.author_user_id IS NOT NULL
    ORDER BY m.id LIMIT 1)
WHERE first_agent_reply_at IS NOT NULL;

-- A range's history read from the index alone.
DROP INDEX ticket_events_account_at;
CREATE INDEX ticket_events_report ON ticket_events(account_id, at, ticket_id, id, kind, actor_user_id, to_queue_id, to_user_id);

-- Messages counted per hour as they are written, with the ticket's queue and agent of that
-- moment and the author (0 for none): a month of counts is a few thousand rows, not a
-- million messages. Private notes are not messages.
CREATE TABLE message_tallies (
    account_id      BIGINT      NOT NULL REFERENCES accounts(id),
    hour            TIMESTAMPTZ NOT NULL,
    channel_id      BIGINT      NOT NULL,
    queue_id        BIGINT      NOT NULL,
    assignee_id     BIGINT      NOT NULL,
    author_user_id  BIGINT      NOT NULL,
    direction       TEXT        NOT NULL,
    n               BIGINT      NOT NULL,
    PRIMARY KEY (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction)
);
INSERT INTO message_tallies (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction, n)
SELECT m.account_id, date_trunc('hour', m.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', m.channel_id,
       COALESCE(t.queue_id, 0), COALESCE(t.assignee_id, 0), COALESCE(m.author_user_id, 0), m.direction, COUNT(*)
FROM messages m JOIN tickets t ON t.id = m.ticket_id
WHERE m.is_note = FALSE
GROUP BY 1, 2, 3, 4, 5, 6, 7;
CREATE FUNCTION saw_tally_message() RETURNS trigger AS $$
BEGIN
    IF NOT NEW.is_note THEN
        INSERT INTO message_tallies (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction, n)
        SELECT NEW.account_id, date_trunc('hour', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', NEW.channel_id,
               COALESCE(t.queue_id, 0), COALESCE(t.assignee_id, 0), COALESCE(NEW.author_user_id, 0), NEW.direction, 1
        FROM tickets t WHERE t.id = NEW.ticket_id
        ON CONFLICT (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction)
        DO UPDATE SET n = message_tallies.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER messages_tally AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION saw_tally_message();
