-- Reports: the tickets whose first agent reply or satisfaction question falls in a range,
-- and the messages of a range counted from the index alone (direction, notes, author and
-- ticket ride along, so counting a month of messages never reads the table).
CREATE INDEX tickets_first_reply ON tickets(account_id, first_agent_reply_at);
CREATE INDEX tickets_csat_asked ON tickets(account_id, csat_asked_at);
DROP INDEX messages_account_at;
CREATE INDEX messages_report ON messages(account_id, created_at, is_note, direction, author_user_id, ticket_id);
