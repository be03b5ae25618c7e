-- The sweeper claims an abandoned attempt for a while instead of holding its row lock
-- while it calls payment and catalog (issue 16, item 9). claimed_until is set when a
-- sweeper takes it, and moved to now() when a sweep of it fails, so the next sweep may
-- take it again. An attempt that was ever claimed can no longer become an order: the
-- transaction that stores an order deletes only an attempt that was never claimed.

ALTER TABLE checkout_attempts ADD COLUMN claimed_until timestamptz;
