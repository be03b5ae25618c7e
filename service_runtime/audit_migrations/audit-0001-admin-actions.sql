-- The admin actions this service carried out (docs/decisions/0013): written before the
-- action runs (outcome PENDING), its outcome set when it returns.
CREATE TABLE admin_actions (
    id             bigserial PRIMARY KEY,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id       text NOT NULL DEFAULT '',
    via            text NOT NULL,
    client_address text NOT NULL DEFAULT '',
    service        text NOT NULL,
    action         text NOT NULL,
    target         text NOT NULL DEFAULT '',
    details        text NOT NULL DEFAULT '',
    outcome        text NOT NULL DEFAULT 'PENDING',
    finished_at    timestamptz
);

CREATE INDEX admin_actions_newest ON admin_actions (recorded_at DESC);
