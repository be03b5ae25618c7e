-- The tables every service that publishes or consumes events keeps in its own database.
-- Applied before the service's own migrations (service_runtime.db.MESSAGING_MIGRATIONS).

-- Events written in the same transaction as the change they announce; the relay
-- publishes them in id order and sets sent_at only after the broker confirms.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    exchange      text NOT NULL,
    message_type  text NOT NULL,
    event_id      text NOT NULL UNIQUE,
    body          bytea NOT NULL,
    traceparent   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);

CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;

-- One row per event a consumer acted on, written in the same transaction as the effect,
-- so a redelivered event does nothing twice.
CREATE TABLE processed_events (
    event_id      text PRIMARY KEY,
    message_type  text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
);
