-- A statement that adds outbox rows announces it on the channel outbox_rows when its
-- transaction commits, so the relay publishes at once instead of waiting for its next poll.

CREATE FUNCTION outbox_rows_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_rows', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_rows_added AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_rows_added();
