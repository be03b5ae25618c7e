-- Shipping schema: what was decided for each order (shipped or cancelled: one row per
-- order id, the idempotency key of ShipOrder and CancelShipment), and the shipment of
-- each shipped order with its address and items.

CREATE TABLE order_outcomes (
    order_id        text PRIMARY KEY CHECK (length(order_id) BETWEEN 1 AND 100),
    outcome         text NOT NULL CHECK (outcome IN ('shipped', 'cancelled')),
    -- Why a cancelled order was stopped, as given to CancelShipment; may be empty.
    cancel_reason   text NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 500),
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shipments (
    order_id                text PRIMARY KEY REFERENCES order_outcomes (order_id),
    -- Shaped like a UPU S10 postal item id, e.g. RA473124829GB.
    tracking_id             text NOT NULL CHECK (tracking_id ~ '^[A-Z]{2}[0-9]{9}[A-Z]{2}$'),
    carrier                 text NOT NULL,
    zone                    text NOT NULL,
    recipient_name          text NOT NULL,
    address_lines           text[] NOT NULL CHECK (cardinality(address_lines) BETWEEN 1 AND 3),
    city                    text NOT NULL,
    region                  text NOT NULL,
    postal_code             text NOT NULL,
    country_code            text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    ship_time               timestamptz NOT NULL,
    estimated_delivery_time timestamptz NOT NULL CHECK (estimated_delivery_time > ship_time),
    CONSTRAINT shipments_tracking_id_key UNIQUE (tracking_id)
);

CREATE TABLE shipment_items (
    order_id        text NOT NULL REFERENCES shipments (order_id) ON DELETE CASCADE,
    line_number     integer NOT NULL CHECK (line_number >= 0),
    product_id      text NOT NULL CHECK (length(product_id) BETWEEN 1 AND 100),
    quantity        integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_number)
);
