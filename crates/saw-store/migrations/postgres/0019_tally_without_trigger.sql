-- On SQLite, messages are now counted per hour by an upsert SAW runs after storing each one
-- (repo::tallies), no longer by a trigger. On PostgreSQL the trigger of 0011 keeps
-- counting: a trigger there costs no statement journal, and a statement more per message
-- would be a round trip more. Nothing changes here.
SELECT 1;
