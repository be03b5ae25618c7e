-- Payment schema: one row per authorization attempt (declined ones too), and one row per
-- refund. A card is kept only as its brand and last four digits; the CVV, the full number,
-- the expiry date and the holder's name are never stored.

CREATE TABLE payments (
    -- Orders the attempts of one order (GetPayment by order gives the latest).
    seq                 bigserial NOT NULL UNIQUE,
    id                  text PRIMARY KEY,
    order_id            text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 100),
    status              text NOT NULL CHECK (status IN ('AUTHORIZED', 'DECLINED', 'CAPTURED', 'FAILED',
                                                        'VOIDED', 'PARTIALLY_REFUNDED', 'REFUNDED')),
    currency_code       text NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    amount              numeric NOT NULL CHECK (amount > 0),
    captured_amount     numeric NOT NULL DEFAULT 0 CHECK (captured_amount IN (0, amount)),
    refunded_amount     numeric NOT NULL DEFAULT 0 CHECK (refunded_amount BETWEEN 0 AND captured_amount),
    card_brand          text NOT NULL CHECK (card_brand IN ('VISA', 'MASTERCARD', 'AMERICAN_EXPRESS', 'DISCOVER')),
    -- Exactly four digits: a longer number cannot slip in here.
    card_last4          text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
    -- Why the network refused the authorization (DECLINED) or the capture (FAILED).
    decline_reason      text CHECK (decline_reason IN ('CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'EXPIRED_CARD',
                                                       'INCORRECT_CVV')),
    -- The mock network's verdict on a later capture, given with its approval: a real
    -- network keeps this on its side; ours has no memory (paymentservice/network.py).
    capture_refusal     text CHECK (capture_refusal IN ('CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'EXPIRED_CARD',
                                                        'INCORRECT_CVV')),
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    capture_time        timestamptz,
    void_time           timestamptz,
    refund_time         timestamptz,
    CHECK ((status IN ('DECLINED', 'FAILED')) = (decline_reason IS NOT NULL))
);

-- An order has at most one payment that was not declined: Authorize is idempotent per
-- order, and a declined attempt does not block the next.
CREATE UNIQUE INDEX payments_one_authorization_per_order ON payments (order_id) WHERE status <> 'DECLINED';
CREATE INDEX payments_order_attempts ON payments (order_id, seq);

CREATE TABLE refunds (
    id                  bigserial PRIMARY KEY,
    payment_id          text NOT NULL REFERENCES payments (id),
    amount              numeric NOT NULL CHECK (amount > 0),
    reason              text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    create_time         timestamptz NOT NULL
);

CREATE INDEX refunds_payment ON refunds (payment_id);
