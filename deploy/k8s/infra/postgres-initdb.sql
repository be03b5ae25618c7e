-- Run once, by the postgres image, on an empty data directory: one database per service
-- that keeps data (make-secrets.sh writes each service's DATABASE_URL to match). Each
-- service applies its own migrations at start.
CREATE DATABASE catalog;
CREATE DATABASE orders;
CREATE DATABASE payment;
CREATE DATABASE shipping;
CREATE DATABASE email;
CREATE DATABASE identity;
CREATE DATABASE recommendation;
