-- Messages are counted per hour (0011) by an upsert SAW runs after storing each one
-- (repo::tallies), no longer by a trigger. On SQLite a statement with a trigger keeps a
-- statement journal: every page it touches (the message's table and index pages) is copied
-- first and freed at its end, and that was several per cent of the CPU of each message.
DROP TRIGGER messages_tally;
