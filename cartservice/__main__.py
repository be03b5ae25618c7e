"""Start cartservice: config -> Redis and the catalog channel -> repository and client ->
servicer -> servers; stop in order on SIGTERM/SIGINT."""
from __future__ import annotations

from service_runtime import clients, redis_client
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from shop.cart.v1 import cart_pb2, cart_pb2_grpc

from cartservice import config as cart_config
from cartservice.clients import CatalogClient
from cartservice.repository import CartRepository
from cartservice.server import STATUS_BY_ERROR, CartServicer


async def main() -> None:
    config = cart_config.load()
    configure_logging(cart_config.SERVICE_NAME, config.runtime.log_level)
    redis = redis_client.connect(config.redis_url, timeout=config.redis_timeout)
    catalog_channel = clients.connect(config.catalog_addr, timeout=config.runtime.call_timeout)
    try:
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    cart_pb2.DESCRIPTOR.services_by_name["CartService"],
                    CartServicer(CartRepository(redis, config.cart_ttl_seconds), CatalogClient(catalog_channel)),
                    cart_pb2_grpc.add_CartServiceServicer_to_server,
                ),
            ],
            checks={"redis": redis_client.ping_check(redis)},
            error_table=STATUS_BY_ERROR,
        )
        await serve_until_signalled(host)
    finally:
        await catalog_channel.close()
        await redis.aclose()


if __name__ == "__main__":
    run(main)
