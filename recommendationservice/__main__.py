"""Start recommendationservice: config -> database (migrated) -> repository, catalog
client -> recommender -> servicer, checkout-events consumer and pruning -> servers; stop in
order on SIGTERM/SIGINT."""
from __future__ import annotations

from pathlib import Path

from service_runtime import clients, db, pruning
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from shop.recommendation.v1 import recommendation_pb2, recommendation_pb2_grpc

from recommendationservice import config as recommendation_config
from recommendationservice.clients import CatalogClient
from recommendationservice.consumer import OrderEvents
from recommendationservice.recommender import Recommender
from recommendationservice.repository import SalesRepository, pruning_rules
from recommendationservice.server import STATUS_BY_ERROR, RecommendationServicer

HERE = Path(__file__).parent


async def main() -> None:
    config = recommendation_config.load()
    configure_logging(recommendation_config.SERVICE_NAME, config.runtime.log_level)
    await db.migrate_when_reachable(config.runtime, config.database_url, db.MESSAGING_MIGRATIONS, HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    catalog = clients.connect(config.catalog_addr, timeout=config.runtime.call_timeout)
    try:
        recommender = Recommender(SalesRepository(pool), CatalogClient(catalog), popular_days=config.popular_days,
                                  bought_lately_days=config.bought_lately_days)
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    recommendation_pb2.DESCRIPTOR.services_by_name["RecommendationService"],
                    RecommendationServicer(recommender),
                    recommendation_pb2_grpc.add_RecommendationServiceServicer_to_server,
                ),
            ],
            # Health follows PostgreSQL only: with RabbitMQ away the service still answers
            # from what it has learnt (the consumer reconnects by itself); with the catalog
            # away a call answers UNAVAILABLE on its own, and learning goes on.
            checks={"postgres": db.pool_check(pool)},
            error_table=STATUS_BY_ERROR,
            workers=[OrderEvents(recommender).consumer(config.amqp_url),
                     pruning.pruner(pool, *pruning_rules(popular_days=config.popular_days,
                                                         bought_lately_days=config.bought_lately_days))],
        )
        await serve_until_signalled(host)
    finally:
        await catalog.close()
        await pool.close()


if __name__ == "__main__":
    run(main)
