-- Every message moves its ticket's last_message_at, and every hand-over its status and
-- queued_at; each index holding those columns is rewritten each time. Two of 0010's inbox
-- indexes could not sort their tabs (those sort by COALESCE(…)) and only repeated
-- tickets_inbox's (account_id, status); 0009's idle index likewise could not use its time.
-- What they served is served now by:
--   tickets_inbox (account_id, status, queue_id): each tab's status, the idle bot tickets;
--   tickets_assignee (assignee_id, status): a person's open tickets;
--   tickets_resolved: the resolved tab, newest first, written only when a ticket is
--     resolved or reopened;
--   tickets_waiting: a queue's waiting tickets, for automatic distribution (which scanned
--     every ticket before), written only on entering or leaving a queue.
DROP INDEX tickets_inbox_waiting;
DROP INDEX tickets_inbox_recent;
DROP INDEX tickets_inbox_resolved;
DROP INDEX tickets_bot_idle;
CREATE INDEX tickets_resolved ON tickets(account_id, resolved_at) WHERE status = 'resolved';
CREATE INDEX tickets_waiting ON tickets(queue_id, queued_at) WHERE status = 'pending';
