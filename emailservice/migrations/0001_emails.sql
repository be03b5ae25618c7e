-- Every email the service has made: what was rendered, for which event and order, and
-- how far its delivery has got. A row is written in the same transaction as the claim of
-- its event (processed_events), as 'pending' and leased to the handler delivering it;
-- it becomes 'sent' once the mail server (or the mail directory) took it, or 'failed'
-- when given up. ListSentEmails and GetSentEmail serve the 'sent' rows.

CREATE TABLE emails (
    id              uuid PRIMARY KEY,
    -- One email per event at most.
    event_id        text NOT NULL UNIQUE CHECK (length(event_id) BETWEEN 1 AND 200),
    event_type      text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('order_received', 'payment_confirmed', 'payment_failed',
                                                  'shipped', 'cancelled', 'refunded')),
    order_id        text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 100),
    sender          text NOT NULL,
    recipient       text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
    subject         text NOT NULL,
    -- The RFC 5322 Message-ID header, the same on every attempt.
    message_id      text NOT NULL UNIQUE,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    created_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- For a pending email: when it may next be attempted (the end of its current lease,
    -- or of its backoff after a failed attempt).
    next_attempt_at timestamptz,
    last_error      text,
    sent_at         timestamptz,
    CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
);

-- The retry worker's look-up of pending emails that are due.
CREATE INDEX emails_due_idx ON emails (next_attempt_at) WHERE state = 'pending';
-- ListSentEmails: newest first, for everyone, a recipient or an order.
CREATE INDEX emails_sent_idx ON emails (sent_at DESC, id DESC) WHERE state = 'sent';
CREATE INDEX emails_recipient_idx ON emails (lower(recipient), sent_at DESC, id DESC) WHERE state = 'sent';
CREATE INDEX emails_order_idx ON emails (order_id, sent_at DESC, id DESC) WHERE state = 'sent';
