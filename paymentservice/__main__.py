"""Start paymentservice: config -> database (migrated) -> repository -> processor ->
servicer, checkout.events consumer and outbox relay -> servers; stop in order on
SIGTERM/SIGINT."""
from __future__ import annotations

import uuid
from pathlib import Path

from service_runtime import db, pruning
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from service_runtime.outbox import OutboxRelay
from shop.payment.v1 import payment_pb2, payment_pb2_grpc

from paymentservice import config as payment_config
from paymentservice import faults
from paymentservice.consumer import checkout_events_consumer
from paymentservice.processor import PaymentProcessor
from paymentservice.repository import PaymentRepository
from paymentservice.server import STATUS_BY_ERROR, PaymentServicer

HERE = Path(__file__).parent


def new_payment_id() -> str:
    return f"pay_{uuid.uuid4().hex}"


async def main() -> None:
    config = payment_config.load()
    configure_logging(payment_config.SERVICE_NAME, config.runtime.log_level)
    await db.migrate_when_reachable(config.runtime, config.database_url, db.MESSAGING_MIGRATIONS, HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    try:
        processor = PaymentProcessor(PaymentRepository(pool), new_payment_id=new_payment_id,
                                     issuer_fails=faults.issuer_fails)
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    payment_pb2.DESCRIPTOR.services_by_name["PaymentService"],
                    PaymentServicer(processor),
                    payment_pb2_grpc.add_PaymentServiceServicer_to_server,
                ),
            ],
            # Health follows PostgreSQL only: payments are taken and recorded without
            # RabbitMQ; events wait in the outbox, and order events in their queue.
            checks={"postgres": db.pool_check(pool)},
            error_table=STATUS_BY_ERROR,
            workers=[checkout_events_consumer(config.amqp_url, processor), OutboxRelay(pool, config.amqp_url),
                     pruning.pruner(pool)],
        )
        await serve_until_signalled(host)
    finally:
        await pool.close()


if __name__ == "__main__":
    run(main)
