-- Messages are counted per hour (0011) by the code that stores them (repo::tallies), as on
-- SQLite, no longer by a trigger.
DROP TRIGGER messages_tally ON messages;
DROP FUNCTION saw_tally_message();
