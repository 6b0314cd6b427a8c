-- How many tickets wait in each queue, kept by triggers. The bot tells a customer their place
-- in the queue at every hand-over; counting the pending tickets for it grew with the queue,
-- and a queue grows fastest exactly when it hurts most (a campaign, an outage).
CREATE TABLE queue_waiting (
    queue_id INTEGER PRIMARY KEY REFERENCES queues(id) ON DELETE CASCADE,
    waiting  INTEGER NOT NULL DEFAULT 0
);

INSERT INTO queue_waiting (queue_id, waiting)
SELECT q.id, (SELECT COUNT(*) FROM tickets t WHERE t.queue_id = q.id AND t.status = 'pending')
FROM queues q;

CREATE TRIGGER queue_waiting_new_queue AFTER INSERT ON queues
BEGIN
    INSERT INTO queue_waiting (queue_id, waiting) VALUES (NEW.id, 0);
END;

CREATE TRIGGER queue_waiting_ticket_added AFTER INSERT ON tickets
WHEN NEW.status = 'pending' AND NEW.queue_id IS NOT NULL
BEGIN
    UPDATE queue_waiting SET waiting = waiting + 1 WHERE queue_id = NEW.queue_id;
END;

-- Setting the same status and queue again takes one and adds one: no change.
CREATE TRIGGER queue_waiting_ticket_changed AFTER UPDATE OF status, queue_id ON tickets
WHEN (OLD.status = 'pending' AND OLD.queue_id IS NOT NULL)
  OR (NEW.status = 'pending' AND NEW.queue_id IS NOT NULL)
BEGIN
    UPDATE queue_waiting SET waiting = waiting - 1
    WHERE OLD.status = 'pending' AND queue_id = OLD.queue_id;
    UPDATE queue_waiting SET waiting = waiting + 1
    WHERE NEW.status = 'pending' AND queue_id = NEW.queue_id;
END;

CREATE TRIGGER queue_waiting_ticket_removed AFTER DELETE ON tickets
WHEN OLD.status = 'pending' AND OLD.queue_id IS NOT NULL
BEGIN
    UPDATE queue_waiting SET waiting = waiting - 1 WHERE queue_id = OLD.queue_id;
END;
