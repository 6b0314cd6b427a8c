-- A number that changes whenever something the bot reads at every turn changes: the account,
-- its queues' names, business hours and flows. A process keeps those in memory and reads this
-- one row instead of them all; another instance or the CLI changing them is seen at once.
-- Random, not a counter: a transaction rolled back after a change must not leave behind a
-- number that a later change could take again.
CREATE TABLE config_stamp (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    stamp BIGINT NOT NULL
);
INSERT INTO config_stamp (id, stamp) VALUES (1, (random() * 9.2e18)::bigint);

CREATE FUNCTION config_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_stamp SET stamp = (random() * 9.2e18)::bigint;
    RETURN NULL;
END
$$;

CREATE TRIGGER config_stamp_accounts AFTER INSERT OR UPDATE OR DELETE ON accounts
FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_renew();
-- Not on every change of a queue: assigning a ticket moves its round-robin pointer.
CREATE TRIGGER config_stamp_queues AFTER INSERT OR UPDATE OF name, name_key, is_default OR DELETE
ON queues FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_renew();
CREATE TRIGGER config_stamp_hours AFTER INSERT OR UPDATE OR DELETE ON business_hours
FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_renew();
CREATE TRIGGER config_stamp_special_days AFTER INSERT OR UPDATE OR DELETE ON business_hours_exceptions
FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_renew();
CREATE TRIGGER config_stamp_flows AFTER INSERT OR UPDATE OR DELETE ON flows
FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_renew();
