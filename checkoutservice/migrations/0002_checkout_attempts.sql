-- A checkout between reserving stock and storing its order: written before ReserveStock,
-- deleted in the transaction that stores the order, or once a failed checkout has given
-- back what it took. A row that outlives its checkout (the process died) is found by
-- the sweeper, which voids the authorization, releases the stock and deletes it
-- (docs/decisions/0007-abandoned-checkouts.md).

CREATE TABLE checkout_attempts (
    order_id        text PRIMARY KEY CHECK (order_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    user_id         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The sweeper takes the oldest first.
CREATE INDEX checkout_attempts_created_idx ON checkout_attempts (created_at);
