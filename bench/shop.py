"""The shop as `make bench` runs it: every service a real process on free ports, the
website served by gunicorn as `python -m frontend` serves it, and what the sections share
to drive them: a filled cart, a visitor with one, an HTTP URL measured with wrk."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Mapping

import grpc

from bench import wrk
from bench.ghz import Result
from bench.settings import CONCURRENCY, HTTP_SECONDS, WARMUP_SECONDS
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from tests.support.services import ServiceProcess
from tests.support.website import Website

DATABASES = ("catalog", "shipping", "payment", "email", "orders", "identity", "recommendation")
CALLED_FROM_OUTSIDE = ("catalog", "cart", "checkout", "shipping", "identity",  # by the website and the gateway
                       "recommendation")
VISITOR = "3f0c8a52-6f0e-4c1a-9a57-2f3b0d1e4c77"  # the website's session id whose cart has 3 lines


def start_services(cleanup: contextlib.ExitStack, databases: Mapping[str, str], amqp_url: str, redis_url: str,
                   logs: Path, env: Mapping[str, str]) -> dict[str, ServiceProcess]:
    """Every service, wired together, each stopped when cleanup closes; databases maps the
    names in DATABASES to URLs, and env goes to every process (log level, tracing)."""
    started: dict[str, ServiceProcess] = {}

    def start(name: str, own: dict[str, str]) -> ServiceProcess:
        started[name] = ServiceProcess(f"{name}service", {**own, **env}, logs / f"{name}.log").start()
        cleanup.callback(started[name].stop)
        return started[name]

    catalog = start("catalog", {"DATABASE_URL": databases["catalog"], "AMQP_URL": amqp_url})
    cart = start("cart", {"REDIS_URL": redis_url, "CATALOG_ADDR": catalog.address})
    start("identity", {"DATABASE_URL": databases["identity"]})
    shipping = start("shipping", {"DATABASE_URL": databases["shipping"], "CATALOG_ADDR": catalog.address,
                                  "AMQP_URL": amqp_url})
    payment = start("payment", {"DATABASE_URL": databases["payment"], "AMQP_URL": amqp_url})
    start("email", {"DATABASE_URL": databases["email"], "MAIL_DIR": str(logs / "mail"), "AMQP_URL": amqp_url})
    start("recommendation", {"DATABASE_URL": databases["recommendation"], "CATALOG_ADDR": catalog.address,
                             "AMQP_URL": amqp_url})
    start("checkout", {"DATABASE_URL": databases["orders"], "CART_ADDR": cart.address, "CATALOG_ADDR": catalog.address,
                       "SHIPPING_ADDR": shipping.address, "PAYMENT_ADDR": payment.address, "AMQP_URL": amqp_url})
    return started


def start_website(cleanup: contextlib.ExitStack, services: Mapping[str, ServiceProcess], logs: Path,
                  env: Mapping[str, str]) -> Website:
    """The website over those services, stopped when cleanup closes."""
    addresses = {f"{name.upper()}_ADDR": services[name].address
                 for name in CALLED_FROM_OUTSIDE}
    return cleanup.enter_context(Website(addresses, logs / "frontend.log", **env))


def fill_cart(address: str, owner: str) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = cart_pb2_grpc.CartServiceStub(channel)
        for product_id in ("stoneware-mug", "aviator-sunglasses", "canvas-tote-bag"):
            stub.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=product_id, quantity=2), timeout=5)


def visitor_with_cart(cart_address: str) -> dict[str, str]:
    """The headers of a website visitor whose cart holds 3 lines (filled now)."""
    fill_cart(cart_address, f"guest:{VISITOR}")
    return {"Cookie": f"shop_session-id={VISITOR}"}


def measure_http(name: str, url: str, headers: dict[str, str] | None = None) -> Result:
    """wrk against url for HTTP_SECONDS, after WARMUP_SECONDS of the same (connections, caches, pools)."""
    wrk.run(name, url, headers=headers, connections=CONCURRENCY, seconds=WARMUP_SECONDS)
    return wrk.run(name, url, headers=headers, connections=CONCURRENCY, seconds=HTTP_SECONDS)
