-- The demo shop's own coupon, so that a code works from the first run: 10% off, once per
-- signed-in customer, advertised on the pages it fits (all of them).
INSERT INTO coupons (code, kind, value, per_customer_limit, banner)
VALUES ('WELCOME-10', 'percent', 10, 1, '10% off your first order')
ON CONFLICT (code) DO NOTHING;
