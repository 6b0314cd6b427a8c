-- How many tickets wait in each queue, kept by triggers. The bot tells a customer their place
-- in the queue at every hand-over; counting the pending tickets for it grew with the queue,
-- and a queue grows fastest exactly when it hurts most (a campaign, an outage).
CREATE TABLE queue_waiting (
    queue_id BIGINT PRIMARY KEY REFERENCES queues(id) ON DELETE CASCADE,
    waiting  BIGINT NOT NULL DEFAULT 0
);

INSERT INTO queue_waiting (queue_id, waiting)
SELECT q.id, (SELECT COUNT(*) FROM tickets t WHERE t.queue_id = q.id AND t.status = 'pending')
FROM queues q;

CREATE FUNCTION queue_waiting_new_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_waiting (queue_id, waiting) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_waiting_new_queue AFTER INSERT ON queues
FOR EACH ROW EXECUTE FUNCTION queue_waiting_new_queue();

-- Setting the same status and queue again takes one and adds one: no change.
CREATE FUNCTION queue_waiting_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.status = 'pending' AND OLD.queue_id IS NOT NULL THEN
            UPDATE queue_waiting SET waiting = waiting - 1 WHERE queue_id = OLD.queue_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.status = 'pending' AND NEW.queue_id IS NOT NULL THEN
            UPDATE queue_waiting SET waiting = waiting + 1 WHERE queue_id = NEW.queue_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_waiting_ticket AFTER INSERT OR UPDATE OF status, queue_id OR DELETE ON tickets
FOR EACH ROW EXECUTE FUNCTION queue_waiting_ticket();
