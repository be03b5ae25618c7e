-- A reservation whose order shipped is fulfilled: its units are sold, no longer held. What
-- orders still hold (status 'reserved') is what the back office shows as reserved.
-- Reservations of orders shipped before this migration stay 'reserved'.
ALTER TABLE stock_reservations DROP CONSTRAINT stock_reservations_status_check;
ALTER TABLE stock_reservations ADD CONSTRAINT stock_reservations_status_check
    CHECK (status IN ('reserved', 'released', 'fulfilled'));
ALTER TABLE stock_reservations ADD COLUMN fulfilled_at timestamptz;

CREATE INDEX stock_reservation_lines_product_idx ON stock_reservation_lines (product_id);
CREATE INDEX stock_reservations_held_idx ON stock_reservations (order_id) WHERE status = 'reserved';
