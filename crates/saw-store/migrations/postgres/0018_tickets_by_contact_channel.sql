-- A customer's tickets are looked up by contact and channel at every message. The index for
-- that (0004) also held the status, so every change of a ticket's status rewrote it; the
-- unresolved one has its own partial index (tickets_one_unresolved, 0007). Contact and
-- channel alone serve every lookup, and the index of tickets by contact alone is their
-- prefix.
DROP INDEX tickets_open_for_contact;
DROP INDEX tickets_contact;
CREATE INDEX tickets_contact_channel ON tickets(contact_id, channel_id);
