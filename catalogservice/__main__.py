"""Start catalogservice: config -> database (migrated) -> repository -> the live read
model (loaded, listening) -> servicers and the event consumer -> servers; stop in order on
SIGTERM/SIGINT."""
from __future__ import annotations

from pathlib import Path

from service_runtime import audit, db, pruning
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from shop.catalog.v1 import (catalog_pb2, catalog_pb2_grpc, coupons_pb2, coupons_pb2_grpc, currency_pb2,
                             currency_pb2_grpc)

from catalogservice import config as catalog_config
from catalogservice.consumer import OrderEvents
from catalogservice.coupon_repository import CouponRepository
from catalogservice.coupon_server import CouponServicer
from catalogservice.currency import RateTable
from catalogservice.live_catalog import LiveCatalog
from catalogservice.repository import CatalogRepository
from catalogservice.server import (STATUS_BY_ERROR, CatalogServicer, CurrencyServicer, product_to_proto,
                                   uploaded_images)

HERE = Path(__file__).parent
# Recorded in the audit log (docs/decisions/0013).
ADMIN_METHODS = (audit.admin_methods(catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"],
                                     "CreateProduct", "UpdateProduct", "DeleteProduct",
                                     "UploadProductImage", "AdjustStock")
                 | audit.admin_methods(coupons_pb2.DESCRIPTOR.services_by_name["CouponService"],
                                       "CreateCoupon", "DeleteCoupon"))

# Released reservations past their keep time (catalog's config) are pruned.
RELEASED_AND_OLD = "status = 'released' AND released_at < {cutoff}"


async def main() -> None:
    config = catalog_config.load()
    configure_logging(catalog_config.SERVICE_NAME, config.runtime.log_level)
    rates = RateTable.load(HERE / "rates.json")
    await db.migrate_when_reachable(config.runtime, config.database_url, db.MESSAGING_MIGRATIONS, audit.MIGRATIONS,
                                    HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    repository = CatalogRepository(pool)
    live = LiveCatalog(config.database_url, repository, product_to_proto)
    try:
        await live.start()
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"],
                    CatalogServicer(repository, live, rates),
                    catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                ),
                GrpcService(
                    coupons_pb2.DESCRIPTOR.services_by_name["CouponService"],
                    CouponServicer(CouponRepository(pool), rates, live),
                    coupons_pb2_grpc.add_CouponServiceServicer_to_server,
                ),
                GrpcService(
                    currency_pb2.DESCRIPTOR.services_by_name["CurrencyService"],
                    CurrencyServicer(rates),
                    currency_pb2_grpc.add_CurrencyServiceServicer_to_server,
                ),
            ],
            checks={"postgres": db.pool_check(pool)},
            error_table=STATUS_BY_ERROR,
            audit_log=audit.AuditLog(pool, catalog_config.SERVICE_NAME, ADMIN_METHODS),
            static_dirs={"/images": HERE / "images"},
            static_fallbacks={"/images": uploaded_images(repository)},
            workers=[OrderEvents(repository).consumer(config.amqp_url),
                     pruning.pruner(pool, pruning.Rule("stock_reservations", RELEASED_AND_OLD,
                                                       config.released_reservations_keep))],
        )
        await serve_until_signalled(host)
    finally:
        await live.stop()
        await pool.close()


if __name__ == "__main__":
    run(main)
