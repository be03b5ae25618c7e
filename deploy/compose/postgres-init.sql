-- Runs once, when the postgres container starts on an empty data volume (the image's
-- /docker-entrypoint-initdb.d/). One database per service that keeps data, as `make run`
-- makes them (devstack/stack.py DATABASES); each service applies its own migrations.
CREATE DATABASE catalog;
CREATE DATABASE shipping;
CREATE DATABASE orders;
CREATE DATABASE payment;
CREATE DATABASE email;
CREATE DATABASE identity;
CREATE DATABASE recommendation;
