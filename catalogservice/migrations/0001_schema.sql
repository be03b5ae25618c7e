-- Catalog schema: categories, products (soft-deleted), their categories, and stock
-- reservations held per order id.

CREATE TABLE categories (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL,
    position    integer NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description     text NOT NULL CHECK (length(description) <= 4000),
    image_url       text NOT NULL,
    -- Exact money: the price in price_currency, never a float.
    price           numeric(14, 2) NOT NULL CHECK (price > 0),
    price_currency  char(3) NOT NULL,
    stock           integer NOT NULL CHECK (stock >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    search          tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('english', name), 'A') ||
                        setweight(to_tsvector('english', description), 'B')
                    ) STORED
);

CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_live_name_idx ON products (name, id) WHERE deleted_at IS NULL;

CREATE TABLE product_categories (
    product_id      text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_slug   text NOT NULL REFERENCES categories (slug),
    PRIMARY KEY (product_id, category_slug)
);

CREATE INDEX product_categories_category_idx ON product_categories (category_slug, product_id);

-- One row per order that holds stock; its lines say how much of each product.
CREATE TABLE stock_reservations (
    order_id        text PRIMARY KEY CHECK (length(order_id) BETWEEN 1 AND 100),
    status          text NOT NULL CHECK (status IN ('reserved', 'released')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    released_at     timestamptz
);

CREATE TABLE stock_reservation_lines (
    order_id        text NOT NULL REFERENCES stock_reservations (order_id) ON DELETE CASCADE,
    product_id      text NOT NULL REFERENCES products (id),
    quantity        integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
