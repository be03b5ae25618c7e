-- Each status an order reached, when, why, and what moved it there: the lifecycle event
-- checkout handled (its message type) or the call that asked (a cancellation). Written in
-- the same transaction as the order's change. Orders placed before this migration get
-- their history from the times the order kept (cause: 'recorded times').
CREATE TABLE order_status_history (
    id          bigserial PRIMARY KEY,
    order_id    text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status      text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    cause       text NOT NULL DEFAULT '',
    changed_at  timestamptz NOT NULL
);

CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

INSERT INTO order_status_history (order_id, status, reason, cause, changed_at)
SELECT id, s.status, '', 'recorded times', s.at
  FROM orders,
       LATERAL (VALUES ('PLACED', created_at), ('PAID', paid_at), ('SHIPPED', shipped_at),
                       ('CANCELLED', cancelled_at), ('REFUNDED', refunded_at)) AS s(status, at)
 WHERE s.at IS NOT NULL
 ORDER BY s.at;

INSERT INTO order_status_history (order_id, status, reason, cause, changed_at)
SELECT id, status, status_reason, 'recorded times', updated_at FROM orders WHERE status = 'PAYMENT_FAILED';

-- The back office finds orders by email.
CREATE INDEX orders_email_idx ON orders (lower(email));
