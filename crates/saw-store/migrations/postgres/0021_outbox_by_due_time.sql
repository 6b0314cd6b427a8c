-- The dispatcher's lease walked the queued rows in id order, past every row that had to
-- wait: a customer's pace (WhatsApp lets a business send one person a few messages, then one
-- every few seconds) or a retry's backoff, and every later row of those tickets. In a
-- campaign that is most of the outbox, walked again at each lease. Walked by due time, the
-- rows still waiting lie past the end of the walk; SAW holds a waiting row's later rows back
-- to its time, so they wait there too (repo::outbox).
DROP INDEX messages_outbox_due;
CREATE INDEX messages_outbox_due ON messages((COALESCE(next_attempt_at, created_at)), id)
    WHERE status = 'queued' AND direction = 'out' AND is_note = FALSE;
