"""The shop's private infrastructure for development and tests: PostgreSQL, Redis and
RabbitMQ instances in their own data directories on loopback ports of our choosing."""
