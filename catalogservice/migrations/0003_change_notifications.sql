-- Every change to what the catalog's reads show is announced on the channel
-- catalog_changes, whoever makes it (a replica, an operator in psql): the payload is the
-- product's id, or '*' when categories change. PostgreSQL delivers the notifications when
-- the transaction commits, each distinct payload once. Each replica LISTENs and refreshes
-- its in-memory read model (live_catalog.py).

CREATE FUNCTION catalog_notify_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('catalog_changes', OLD.id);
    ELSE
        PERFORM pg_notify('catalog_changes', NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION catalog_notify_product_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM pg_notify('catalog_changes', OLD.product_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('catalog_changes', NEW.product_id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION catalog_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalog_changes', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER products_changed AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION catalog_notify_product();
CREATE TRIGGER product_categories_changed AFTER INSERT OR UPDATE OR DELETE ON product_categories
    FOR EACH ROW EXECUTE FUNCTION catalog_notify_product_category();
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_all();
CREATE TRIGGER products_truncated AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_all();
CREATE TRIGGER product_categories_truncated AFTER TRUNCATE ON product_categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_all();
