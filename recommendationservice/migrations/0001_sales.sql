-- recommendationservice's schema: what the shop's orders taught it. Every row comes from
-- an order event (consumer.py); nothing here is a catalog fact, so a product deleted from
-- the catalog may still be counted here: the catalog is asked before anything is suggested.

-- Each shipped order counted as a sale, once, whatever events about it arrive: the key
-- that makes counting idempotent per order (processed_events holds the event ids).
CREATE TABLE counted_orders (
    order_id    text PRIMARY KEY CHECK (length(order_id) > 0),
    counted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX counted_orders_counted_at_idx ON counted_orders (counted_at);

-- How many orders bought two products together. Each pair is stored both ways, so "what
-- was bought with X" reads one range of the primary key.
CREATE TABLE co_purchases (
    product_id  text NOT NULL CHECK (length(product_id) > 0),
    other_id    text NOT NULL CHECK (length(other_id) > 0 AND other_id <> product_id),
    orders      integer NOT NULL CHECK (orders > 0),
    PRIMARY KEY (product_id, other_id)
);

-- Units sold per product per day (the day the order was placed, UTC): the best sellers are
-- the sums over the last POPULAR_WINDOW_DAYS; older days are pruned.
CREATE TABLE daily_sales (
    day         date NOT NULL,
    product_id  text NOT NULL CHECK (length(product_id) > 0),
    units       bigint NOT NULL CHECK (units > 0),
    PRIMARY KEY (day, product_id)
);

-- What each shopper ordered lately (the time of their latest order of it), so it is not
-- suggested to them again for BOUGHT_LATELY_DAYS; older rows are pruned.
CREATE TABLE recent_purchases (
    user_id     text NOT NULL CHECK (length(user_id) > 0),
    product_id  text NOT NULL CHECK (length(product_id) > 0),
    bought_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX recent_purchases_bought_at_idx ON recent_purchases (bought_at);
