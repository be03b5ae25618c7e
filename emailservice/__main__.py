"""Start emailservice: config -> database (migrated) -> repository, delivery, mailer ->
servicer, checkout-events consumer, retry worker -> servers; stop in order on
SIGTERM/SIGINT."""
from __future__ import annotations

import logging
from pathlib import Path

from service_runtime import db, pruning
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from shop.email.v1 import email_pb2, email_pb2_grpc

from emailservice import config as email_config
from emailservice.consumer import EmailConsumer
from emailservice.delivery import FaultFlagged, MailDirDelivery, SmtpDelivery
from emailservice.mailer import Mailer, RetryPolicy
from emailservice.rendering import Renderer
from emailservice.repository import EmailRepository
from emailservice.retries import RetryWorker
from emailservice.server import STATUS_BY_ERROR, EmailServicer

HERE = Path(__file__).parent
log = logging.getLogger("emailservice")


def delivery_for(config: email_config.Config):
    if config.smtp is not None:
        log.info("emails go to the SMTP server %s:%d", config.smtp.host, config.smtp.port)
        return FaultFlagged(SmtpDelivery(config.smtp, timeout=config.delivery_timeout))
    config.mail_dir.mkdir(parents=True, exist_ok=True)
    log.info("SMTP_URL is not set: emails are written as .eml files to %s", config.mail_dir.resolve())
    return FaultFlagged(MailDirDelivery(config.mail_dir))


async def main() -> None:
    config = email_config.load()
    configure_logging(email_config.SERVICE_NAME, config.runtime.log_level)
    await db.migrate_when_reachable(config.runtime, config.database_url, db.MESSAGING_MIGRATIONS, HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    try:
        repository = EmailRepository(pool)
        policy = RetryPolicy(
            first=config.retry_min, maximum=config.retry_max, give_up_after=config.give_up_after,
            # Longer than any one delivery can take, so no two attempts overlap.
            lease=2 * config.delivery_timeout + 30,
        )
        mailer = Mailer(repository, delivery_for(config), Renderer(config.shop_name), sender=config.sender,
                        policy=policy)
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    email_pb2.DESCRIPTOR.services_by_name["EmailService"],
                    EmailServicer(repository),
                    email_pb2_grpc.add_EmailServiceServicer_to_server,
                ),
            ],
            # Health follows PostgreSQL only: with RabbitMQ away the sent emails can still
            # be listed, and the consumer reconnects by itself. An SMTP server that is away
            # only delays emails, which wait in the database.
            checks={"postgres": db.pool_check(pool)},
            error_table=STATUS_BY_ERROR,
            workers=[EmailConsumer(mailer).consumer(config.amqp_url),
                     RetryWorker(mailer, interval=config.retry_poll),
                     pruning.pruner(pool)],
        )
        await serve_until_signalled(host)
    finally:
        await pool.close()


if __name__ == "__main__":
    run(main)
