-- A number that changes whenever something the bot reads at every turn changes: the account,
-- its queues' names, business hours and flows. A process keeps those in memory and reads this
-- one row instead of them all; another process or the CLI changing them is seen at once.
-- Random, not a counter: a transaction rolled back after a change must not leave behind a
-- number that a later change could take again.
CREATE TABLE config_stamp (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    stamp INTEGER NOT NULL
);
INSERT INTO config_stamp (id, stamp) VALUES (1, random());

CREATE TRIGGER config_stamp_account_added AFTER INSERT ON accounts
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_account_changed AFTER UPDATE ON accounts
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_account_removed AFTER DELETE ON accounts
BEGIN UPDATE config_stamp SET stamp = random(); END;

-- Not on every change of a queue: assigning a ticket moves its round-robin pointer.
CREATE TRIGGER config_stamp_queue_added AFTER INSERT ON queues
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_queue_changed AFTER UPDATE OF name, name_key, is_default ON queues
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_queue_removed AFTER DELETE ON queues
BEGIN UPDATE config_stamp SET stamp = random(); END;

CREATE TRIGGER config_stamp_hours_added AFTER INSERT ON business_hours
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_hours_changed AFTER UPDATE ON business_hours
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_hours_removed AFTER DELETE ON business_hours
BEGIN UPDATE config_stamp SET stamp = random(); END;

CREATE TRIGGER config_stamp_special_day_added AFTER INSERT ON business_hours_exceptions
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_special_day_changed AFTER UPDATE ON business_hours_exceptions
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_special_day_removed AFTER DELETE ON business_hours_exceptions
BEGIN UPDATE config_stamp SET stamp = random(); END;

CREATE TRIGGER config_stamp_flow_added AFTER INSERT ON flows
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_flow_changed AFTER UPDATE ON flows
BEGIN UPDATE config_stamp SET stamp = random(); END;
CREATE TRIGGER config_stamp_flow_removed AFTER DELETE ON flows
BEGIN UPDATE config_stamp SET stamp = random(); END;
