"""Start checkoutservice: config -> database (migrated) and channels to the services it
calls -> repository, clients, the order placer, the event consumers, the outbox relay and
the abandoned-checkout sweeper -> servers; stop in order on SIGTERM/SIGINT."""
from __future__ import annotations

from pathlib import Path

from service_runtime import audit, clients, db, dead_letters, pruning
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from service_runtime.outbox import OutboxRelay
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.operations.v1 import dead_letters_pb2, dead_letters_pb2_grpc

from checkoutservice import config as checkout_config
from checkoutservice import convert
from checkoutservice.clients import CartClient, CatalogClient, PaymentClient, ShippingClient
from checkoutservice.cancelling import OrderCanceller
from checkoutservice.consumer import OrderEvents
from checkoutservice.placing import OrderPlacer
from checkoutservice.repository import OrderRepository
from checkoutservice.server import STATUS_BY_ERROR, CheckoutServicer
from checkoutservice.sweeper import AbandonedCheckoutSweeper

HERE = Path(__file__).parent
# Recorded in the audit log (docs/decisions/0013).
ADMIN_METHODS = (audit.admin_methods(checkout_pb2.DESCRIPTOR.services_by_name["CheckoutService"], "CancelAnyOrder")
                 | audit.admin_methods(dead_letters_pb2.DESCRIPTOR.services_by_name["DeadLetterService"],
                                       "ReplayDeadLetters"))


async def main() -> None:
    config = checkout_config.load()
    configure_logging(checkout_config.SERVICE_NAME, config.runtime.log_level)
    await db.migrate_when_reachable(config.runtime, config.database_url, db.MESSAGING_MIGRATIONS, audit.MIGRATIONS,
                                    HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    timeout = config.runtime.call_timeout
    channels = {name: clients.connect(address, timeout=timeout) for name, address in {
        "cart": config.cart_addr, "catalog": config.catalog_addr,
        "shipping": config.shipping_addr, "payment": config.payment_addr}.items()}
    try:
        repository = OrderRepository(pool)
        catalog, payment = CatalogClient(channels["catalog"]), PaymentClient(channels["payment"])
        shipping = ShippingClient(channels["shipping"])
        canceller = OrderCanceller(repository, shipping)
        placer = OrderPlacer(
            CartClient(channels["cart"]), catalog, shipping, payment, repository,
            address_of=convert.address_from_proto, placed_events=convert.placed_events,
        )
        sweeper = AbandonedCheckoutSweeper(repository, catalog, payment, older_than=config.abandoned_after,
                                           interval=config.sweep_interval)
        host = ServiceHost(
            config.runtime,
            [GrpcService(checkout_pb2.DESCRIPTOR.services_by_name["CheckoutService"],
                         CheckoutServicer(placer, canceller, repository),
                         checkout_pb2_grpc.add_CheckoutServiceServicer_to_server),
             # The dead-letter queues, for the back office (the pipeline's hub has the broker).
             GrpcService(dead_letters_pb2.DESCRIPTOR.services_by_name["DeadLetterService"],
                         dead_letters.DeadLetterServicer(config.amqp_url),
                         dead_letters_pb2_grpc.add_DeadLetterServiceServicer_to_server)],
            checks={"postgres": db.pool_check(pool)},
            error_table={**dead_letters.STATUS_BY_ERROR, **STATUS_BY_ERROR},
            audit_log=audit.AuditLog(pool, checkout_config.SERVICE_NAME, ADMIN_METHODS),
            workers=[OutboxRelay(pool, config.amqp_url), *OrderEvents(repository).consumers(config.amqp_url), sweeper,
                     pruning.pruner(pool)],
        )
        await serve_until_signalled(host)
    finally:
        for channel in channels.values():
            await channel.close()
        await pool.close()


if __name__ == "__main__":
    run(main)
