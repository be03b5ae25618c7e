-- Accounts an admin locked (LockUser): lock_time is when, and NULL while the account is
-- not locked; lock_reason is why, as the admin wrote it ('' when they gave none, and
-- always '' while the account is not locked).
ALTER TABLE users
    ADD COLUMN lock_time timestamptz,
    ADD COLUMN lock_reason text NOT NULL DEFAULT '' CHECK (length(lock_reason) <= 200),
    ADD CONSTRAINT users_lock_reason_only_while_locked CHECK (lock_time IS NOT NULL OR lock_reason = '');
