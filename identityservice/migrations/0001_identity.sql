-- Identity schema: users with their argon2id password hash and roles; sign-in sessions
-- with the jtis of their current token pair, and the jtis they rotated away from (to
-- recognise a reused refresh token); and failed sign-in counts per email address,
-- whether or not an account has the address.

CREATE TABLE users (
    -- A random UUID; never contains ':' (the HTTP routes put custom verbs after one).
    id              text PRIMARY KEY CHECK (id <> '' AND strpos(id, ':') = 0),
    -- As normalized by email-validator; unique case-insensitively (users_email_key).
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash   text NOT NULL CHECK (starts_with(password_hash, '$argon2id$')),
    roles           text[] NOT NULL CHECK (roles <@ ARRAY['customer', 'admin'] AND 'customer' = ANY (roles)),
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_newest_first ON users (create_time DESC, id DESC);

CREATE TABLE sessions (
    id              text PRIMARY KEY,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti     text NOT NULL UNIQUE,
    access_jti      text NOT NULL UNIQUE,
    create_time     timestamptz NOT NULL,
    -- The current refresh token's exp; moves forward with each refresh.
    expire_time     timestamptz NOT NULL,
    revoke_time     timestamptz
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Token ids a session had before a refresh. A retired refresh jti presented again means
-- the token was copied: its session is revoked. A retired access jti still identifies
-- its session for Logout.
CREATE TABLE retired_jtis (
    jti             text PRIMARY KEY,
    session_id      text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('access', 'refresh'))
);
CREATE INDEX retired_jtis_by_session ON retired_jtis (session_id);

-- Sign-in attempts per email address (lower-cased), counted before the password is
-- checked and cleared by a success. See lockout.py.
CREATE TABLE login_attempts (
    email_key       text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_start    timestamptz,
    locked_until    timestamptz
);
