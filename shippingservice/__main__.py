"""Start shippingservice: config -> database (migrated) -> repository, currency client ->
servicer, event consumer and outbox relay -> servers; stop in order on SIGTERM/SIGINT."""
from __future__ import annotations

import random
from pathlib import Path

from service_runtime import clients, db, pruning
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from service_runtime.outbox import OutboxRelay
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc

from shippingservice import config as shipping_config
from shippingservice import events
from shippingservice.consumer import OrderEvents
from shippingservice.clients import CurrencyClient
from shippingservice.repository import ShipmentRepository
from shippingservice.server import STATUS_BY_ERROR, ShippingServicer
from shippingservice.shipments import Shipper

HERE = Path(__file__).parent


async def main() -> None:
    config = shipping_config.load()
    configure_logging(shipping_config.SERVICE_NAME, config.runtime.log_level)
    await db.migrate_when_reachable(config.runtime, config.database_url, db.MESSAGING_MIGRATIONS, HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    catalog = clients.connect(config.catalog_addr, timeout=config.runtime.call_timeout)
    try:
        # Tracking ids must not be guessable from one another: a system rng.
        repository = ShipmentRepository(pool, announce_shipped=events.shipped, announce_cancelled=events.cancelled)
        shipper = Shipper(repository, day_seconds=config.day_seconds, rng=random.SystemRandom())
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    shipping_pb2.DESCRIPTOR.services_by_name["ShippingService"],
                    ShippingServicer(shipper, CurrencyClient(catalog)),
                    shipping_pb2_grpc.add_ShippingServiceServicer_to_server,
                ),
            ],
            # Health follows PostgreSQL only: USD quotes and shipments work without the
            # catalog, and a quote needing conversion answers UNAVAILABLE on its own.
            checks={"postgres": db.pool_check(pool)},
            error_table=STATUS_BY_ERROR,
            workers=[OutboxRelay(pool, config.amqp_url), OrderEvents(shipper).consumer(config.amqp_url),
                     pruning.pruner(pool)],
        )
        await serve_until_signalled(host)
    finally:
        await catalog.close()
        await pool.close()


if __name__ == "__main__":
    run(main)
