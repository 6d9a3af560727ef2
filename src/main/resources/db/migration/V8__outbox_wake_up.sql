-- New tasks wake the workers at once, on every node: a statement that inserts tasks notifies channel 'outbox' with
-- each kind it inserted, delivered when its transaction commits (and not at all if it rolls back). One notice per kind
-- and statement, so the group-commit intake pays one per batch. Workers still sweep the table every
-- bridge.outbox.poll-interval-ms for retries whose time has come.
CREATE FUNCTION outbox_wake_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', kind) FROM (SELECT DISTINCT kind FROM inserted) AS kinds;
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_wake_up AFTER INSERT ON outbox REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake_up();
