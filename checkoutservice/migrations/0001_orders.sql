-- Orders and their lines: a snapshot of what was bought, at the prices of the moment, in
-- the order's currency. Amounts are exact numerics (currencies differ in minor units).

CREATE TABLE orders (
    id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    user_id         text NOT NULL,
    email           text NOT NULL,
    status          text NOT NULL CHECK (status IN
                        ('PLACED', 'PAID', 'SHIPPED', 'PAYMENT_FAILED', 'CANCELLED', 'REFUNDED')),
    status_reason   text NOT NULL DEFAULT '',
    currency        char(3) NOT NULL,
    shipping_cost   numeric NOT NULL CHECK (shipping_cost >= 0),
    address         jsonb NOT NULL,
    payment_id      text NOT NULL,
    tracking_id     text NOT NULL DEFAULT '',
    request_id      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    paid_at         timestamptz,
    shipped_at      timestamptz,
    cancelled_at    timestamptz,
    refunded_at     timestamptz
);

-- A client's retry of the same checkout (same request id) finds the first order.
CREATE UNIQUE INDEX orders_user_request_idx ON orders (user_id, request_id) WHERE request_id <> '';
CREATE INDEX orders_user_newest_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_newest_idx ON orders (created_at DESC, id DESC);

CREATE TABLE order_lines (
    order_id        text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    product_id      text NOT NULL,
    name            text NOT NULL,
    quantity        integer NOT NULL CHECK (quantity > 0),
    unit_price      numeric NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, position)
);
