-- Coupon codes (decision 0016) and their redemptions. A redemption belongs to an order's
-- stock reservation: it counts while the reservation is held or fulfilled, and is given
-- back when the reservation is released, with no step of its own.
CREATE TABLE coupons (
    code                text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'),
    kind                text NOT NULL CHECK (kind IN ('percent', 'amount')),
    value               numeric(14, 2) NOT NULL CHECK (value > 0),
    currency            char(3),
    min_subtotal        numeric(14, 2) NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    min_currency        char(3),
    categories          text[] NOT NULL DEFAULT '{}',
    currencies          text[] NOT NULL DEFAULT '{}',
    valid_from          timestamptz,
    valid_until         timestamptz,
    per_customer_limit  integer NOT NULL DEFAULT 0 CHECK (per_customer_limit >= 0),
    total_limit         integer NOT NULL DEFAULT 0 CHECK (total_limit >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    CHECK (kind = 'percent' AND value <= 100 OR kind = 'amount' AND currency IS NOT NULL)
);

CREATE TABLE coupon_redemptions (
    order_id     text PRIMARY KEY REFERENCES stock_reservations (order_id) ON DELETE CASCADE,
    code         text NOT NULL REFERENCES coupons (code),
    customer_id  text NOT NULL,
    currency     char(3) NOT NULL,
    amount       numeric NOT NULL CHECK (amount >= 0),
    description  text NOT NULL
);

CREATE INDEX coupon_redemptions_code_idx ON coupon_redemptions (code, customer_id);
