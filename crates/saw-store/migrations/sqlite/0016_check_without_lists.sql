-- A CHECK (column IN ('a', 'b', …)) makes SQLite build a temporary index of the list for
-- every row it checks: a message, a ticket and its history paid more for their checks than for
-- their rows. The same rules written as comparisons cost nothing more. The stored table
-- definitions are edited in place, the way SQLite documents for changing CHECK constraints:
-- nothing on disk changes, and every row meets both forms of each rule.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (kind IN (''whatsapp'', ''telegram'', ''sandbox''))',
    'CHECK (kind = ''whatsapp'' OR kind = ''telegram'' OR kind = ''sandbox'')')
WHERE type = 'table' AND name = 'channels';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (direction IN (''in'', ''out''))',
    'CHECK (direction = ''in'' OR direction = ''out'')')
WHERE type = 'table' AND name = 'messages';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''queued'', ''sent'', ''delivered'', ''read'', ''failed''))',
    'CHECK (status = ''queued'' OR status = ''sent'' OR status = ''delivered'' OR status = ''read'' OR status = ''failed'')')
WHERE type = 'table' AND name = 'messages';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (media_state IN (''pending'', ''ready'', ''unavailable''))',
    'CHECK (media_state = ''pending'' OR media_state = ''ready'' OR media_state = ''unavailable'')')
WHERE type = 'table' AND name = 'messages';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''queued'', ''sent'', ''delivered'', ''read'', ''failed''))',
    'CHECK (status = ''queued'' OR status = ''sent'' OR status = ''delivered'' OR status = ''read'' OR status = ''failed'')')
WHERE type = 'table' AND name = 'pending_statuses';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (distribution IN (''manual'', ''round_robin'', ''least_busy''))',
    'CHECK (distribution = ''manual'' OR distribution = ''round_robin'' OR distribution = ''least_busy'')')
WHERE type = 'table' AND name = 'queues';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (kind IN (''created'', ''queued'', ''accepted'', ''transferred'',' || char(10) || '                                                    ''returned_to_bot'', ''reopened'', ''resolved''))',
    'CHECK (kind = ''created'' OR kind = ''queued'' OR kind = ''accepted'' OR kind = ''transferred'' OR kind = ''returned_to_bot'' OR kind = ''reopened'' OR kind = ''resolved'')')
WHERE type = 'table' AND name = 'ticket_events';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''bot'', ''pending'', ''open'', ''resolved''))',
    'CHECK (status = ''bot'' OR status = ''pending'' OR status = ''open'' OR status = ''resolved'')')
WHERE type = 'table' AND name = 'tickets';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (role IN (''admin'', ''supervisor'', ''agent''))',
    'CHECK (role = ''admin'' OR role = ''supervisor'' OR role = ''agent'')')
WHERE type = 'table' AND name = 'users';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''available'', ''paused'', ''away''))',
    'CHECK (status = ''available'' OR status = ''paused'' OR status = ''away'')')
WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = RESET;
