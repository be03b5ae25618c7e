-- The discounts an order was given (a coupon, decision 0016), kept as they were applied so
-- an order's history never changes when a coupon is edited or ended later.
CREATE TABLE order_discounts (
    order_id     text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    code         text NOT NULL,
    description  text NOT NULL,
    amount       numeric NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (order_id, position)
);
