"""`make bench`: the services' RPCs under concurrency with ghz, each table beside a bare
grpc.aio server answering an empty RPC in the same run (and, for the cart, a raw Redis
round trip), with the ratio to the bare server; the public API through KrakenD beside the
same calls made straight to the services' HTTP facades (wrk); the website's pages beside a
bare Flask page, both served by gunicorn (wrk); then the whole order pipeline under load
(orders per second, and the time from PlaceOrder to SHIPPED); last, end to end, the locust
mixes of tests/load against that website and gateway (bench/locust_run.py)."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
from google.protobuf.field_mask_pb2 import FieldMask

from devstack import rabbitmq as devstack_rabbitmq
from devstack.krakend import temporary_gateway
from devstack import redis as devstack_redis
from devstack.postgres import temporary_cluster
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.http import request
from tests.support.net import free_port, wait_for_port
from tests.support.services import ServiceProcess, wait_until

from bench import ghz, locust_run, pipeline, redis_benchmark, wrk

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench-results"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "20"))
TOTAL = int(os.environ.get("BENCH_REQUESTS", "5000"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
SHOPPERS = int(os.environ.get("BENCH_SHOPPERS", "8"))
HTTP_SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
LOCUST_USERS = int(os.environ.get("BENCH_LOCUST_USERS", "20"))
LOCUST_SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "30"))
BENCH_PASSWORD = "quiet-harbor-lantern-77"


def table(title: str, results: list[ghz.Result], baseline: ghz.Result) -> str:
    header = f"{'call':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs bare':>14}"
    lines = [title, header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<40} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} {r.rps / baseline.rps:>14.2f}")
    return "\n".join(lines)


def measure(runs: list[tuple]) -> list[ghz.Result]:
    for name, address, call, data in runs:  # warm-up: connections, caches, pools
        ghz.run(name, address, call, data, concurrency=CONCURRENCY, total=min(500, TOTAL))
    return [ghz.run(*run, concurrency=CONCURRENCY, total=TOTAL) for run in runs]


def fill_cart(address: str, owner: str) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = cart_pb2_grpc.CartServiceStub(channel)
        for product_id in ("stoneware-mug", "aviator-sunglasses", "canvas-tote-bag"):
            stub.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=product_id, quantity=2), timeout=5)


def start_pipeline_services(cleanup, cluster, broker, catalog, cart, logs, quiet) -> dict:
    """shipping, payment, email and checkout, wired to the catalog, cart and broker."""
    amqp = {"AMQP_URL": broker.url, **quiet}
    started = {}
    for name, env in (
        ("shipping", {"DATABASE_URL": cluster.url("shipping"), "CATALOG_ADDR": catalog.address}),
        ("payment", {"DATABASE_URL": cluster.url("payment")}),
        ("email", {"DATABASE_URL": cluster.url("email"), "MAIL_DIR": str(logs / "mail")}),
    ):
        started[name] = ServiceProcess(f"{name}service", {**env, **amqp}, logs / f"{name}.log").start()
        cleanup.callback(started[name].stop)
    started["checkout"] = ServiceProcess("checkoutservice", {
        "DATABASE_URL": cluster.url("orders"), "CART_ADDR": cart.address, "CATALOG_ADDR": catalog.address,
        "SHIPPING_ADDR": started["shipping"].address, "PAYMENT_ADDR": started["payment"].address, **amqp,
    }, logs / "checkout.log").start()
    cleanup.callback(started["checkout"].stop)
    return started


def gateway_rows(cleanup, services: dict, logs: Path) -> tuple[list[tuple[ghz.Result, ghz.Result]], str]:
    """(straight to the facade, through KrakenD) pairs for an anonymous product listing and
    an authenticated cart read, and the gateway's URL (it stays up for the locust table).
    The bench user registers and logs in through the gateway."""
    port = free_port()
    cleanup.enter_context(temporary_gateway(port, {s.module: s.http_url for s in services.values()},
                                            logs / "krakend.log"))
    gateway = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(f"{gateway}/__health"), 30, "the gateway's health")
    email = "bench@example.com"
    registered = request("POST", f"{gateway}/api/v1/users", {"email": email, "password": BENCH_PASSWORD})
    login = request("POST", f"{gateway}/api/v1/login", {"email": email, "password": BENCH_PASSWORD})
    if registered.status != 200 or login.status != 200:
        raise RuntimeError(f"bench user: register {registered.status} {registered.body!r}, login {login.status}")
    user_id, token = login.json()["user"]["id"], login.json()["access_token"]
    fill_cart(services["cart"].address, user_id)
    bearer = {"Authorization": f"Bearer {token}"}
    pairs = [
        (("catalog ListProducts (20/page), facade", f"{services['catalog'].http_url}/v1/products?page_size=20", None),
         ("the same through KrakenD, anonymous", f"{gateway}/api/v1/products?page_size=20", None)),
        (("cart GetCart (3 lines), facade", f"{services['cart'].http_url}/v1/users/{user_id}/cart", None),
         ("the same through KrakenD, with a JWT", f"{gateway}/api/v1/cart", bearer)),
    ]
    rows = []
    for pair in pairs:
        measured = []
        for name, url, headers in pair:
            wrk.run(name, url, headers=headers, connections=CONCURRENCY, seconds=2)  # warm-up
            measured.append(wrk.run(name, url, headers=headers, connections=CONCURRENCY, seconds=HTTP_SECONDS))
        rows.append(tuple(measured))
    return rows, gateway


def website_rows(cleanup, services: dict, logs: Path) -> tuple[list[ghz.Result], str]:
    """The website's home, product and cart pages under concurrency, served by gunicorn as
    `python -m frontend` serves it, after a bare Flask page served the same way; and the
    website's URL (it stays up for the locust table)."""
    from tests.support.website import Website

    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread",
                             "--threads", "8", "--bind", f"127.0.0.1:{bare_port}", "bench.bare_web:app"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cleanup.callback(bare.wait)
    cleanup.callback(bare.terminate)
    wait_for_port(bare_port)
    addresses = {f"{name.upper()}_ADDR": services[name].address
                 for name in ("catalog", "cart", "checkout", "shipping", "identity")}
    site = cleanup.enter_context(Website(addresses, logs / "frontend.log", LOG_LEVEL="WARNING"))
    visitor = "3f0c8a52-6f0e-4c1a-9a57-2f3b0d1e4c77"
    fill_cart(services["cart"].address, f"guest:{visitor}")
    with_cart = {"Cookie": f"shop_session-id={visitor}"}
    rows = []
    for name, url, headers in (
        ("bare Flask page (gunicorn)", f"http://127.0.0.1:{bare_port}/", None),
        ("home page (12 products)", f"{site.url}/", with_cart),
        ("product page (stoneware-mug)", f"{site.url}/products/stoneware-mug", with_cart),
        ("cart page (3 lines, quote)", f"{site.url}/cart", with_cart),
    ):
        wrk.run(name, url, headers=headers, connections=CONCURRENCY, seconds=2)  # warm-up
        rows.append(wrk.run(name, url, headers=headers, connections=CONCURRENCY, seconds=HTTP_SECONDS))
    return rows, site.url


def _answers(url: str) -> bool:
    try:
        return request("GET", url, timeout=2).status == 200
    except OSError:
        return False


def gateway_table(rows: list[tuple[ghz.Result, ghz.Result]]) -> str:
    header = f"{'call':<45} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs facade':>16}"
    lines = ["the public API: KrakenD 1.4.1 against the service's own HTTP facade", header, "-" * len(header)]
    for direct, through in rows:
        for r in (direct, through):
            lines.append(f"{r.name:<45} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} "
                         f"{r.rps / direct.rps:>16.2f}")
    return "\n".join(lines)


def main() -> int:
    logs = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    bare_port = free_port()
    quiet = {"LOG_LEVEL": "WARNING"}
    with contextlib.ExitStack() as cleanup:
        cluster = cleanup.enter_context(temporary_cluster(["catalog", "shipping", "payment", "email", "orders",
                                                           "identity"], prefix="shop-bench-pg-"))
        redis = cleanup.enter_context(devstack_redis.temporary_server())
        broker = cleanup.enter_context(devstack_rabbitmq.temporary_node())
        catalog = ServiceProcess("catalogservice", {"DATABASE_URL": cluster.url("catalog"), "AMQP_URL": broker.url, **quiet},
                                 logs / "catalog.log").start()
        cleanup.callback(catalog.stop)
        cart = ServiceProcess("cartservice", {"REDIS_URL": redis.url, "CATALOG_ADDR": catalog.address, **quiet},
                              logs / "cart.log").start()
        cleanup.callback(cart.stop)
        bare = subprocess.Popen([sys.executable, "-m", "bench.bare_server", str(bare_port)], cwd=REPO)
        cleanup.callback(bare.wait)
        cleanup.callback(bare.terminate)
        wait_for_port(bare_port)
        fill_cart(cart.address, "bench:reader")
        rest = start_pipeline_services(cleanup, cluster, broker, catalog, cart, logs, quiet)
        identity = ServiceProcess("identityservice", {"DATABASE_URL": cluster.url("identity"), **quiet},
                                  logs / "identity.log").start()
        cleanup.callback(identity.stop)
        everything = {"catalog": catalog, "cart": cart, "checkout": rest["checkout"], "shipping": rest["shipping"],
                      "identity": identity}
        through_gateway, gateway_url = gateway_rows(cleanup, everything, logs)
        website, website_url = website_rows(cleanup, everything, logs)
        end_to_end = locust_run.run(website_url, gateway_url, catalog.address, users=LOCUST_USERS,
                                    seconds=LOCUST_SECONDS, out_dir=RESULTS / "locust")

        baseline, *services = measure([
            ("bare grpc.aio: Health/Check", f"127.0.0.1:{bare_port}", "grpc.health.v1.Health/Check", {}),
            ("catalog GetProduct", catalog.address, "shop.catalog.v1.CatalogService/GetProduct", {"id": "stoneware-mug"}),
            ("catalog ListProducts (20/page)", catalog.address, "shop.catalog.v1.CatalogService/ListProducts",
             {"page_size": 20}),
            ("cart GetCart (3 lines)", cart.address, "shop.cart.v1.CartService/GetCart", {"owner_id": "bench:reader"}),
            ("cart AddItem (new cart each call)", cart.address, "shop.cart.v1.CartService/AddItem",
             {"owner_id": "bench:{{.RequestNumber}}", "product_id": "stoneware-mug", "quantity": 1}),
        ])
        raw_redis = [
            redis_benchmark.run("raw Redis PING (redis-benchmark)", redis.port, "ping_mbulk",
                                concurrency=CONCURRENCY, total=TOTAL * 4),
            redis_benchmark.run("raw Redis HSET (redis-benchmark)", redis.port, "hset",
                                concurrency=CONCURRENCY, total=TOTAL * 4),
        ]
        with grpc.insecure_channel(catalog.address) as channel:  # enough stock for every order
            catalog_pb2_grpc.CatalogServiceStub(channel).UpdateProduct(catalog_pb2.UpdateProductRequest(
                product=catalog_pb2.Product(id="stoneware-mug", stock=1_000_000),
                update_mask=FieldMask(paths=["stock"])), timeout=10)
        pipeline.run(cart.address, rest["checkout"].address, orders=20, concurrency=SHOPPERS)  # warm-up
        flow = pipeline.run(cart.address, rest["checkout"].address, orders=ORDERS, concurrency=SHOPPERS)
    shutil.rmtree(logs, ignore_errors=True)

    catalog_rows = [baseline, *[r for r in services if r.name.startswith("catalog")]]
    cart_rows = [baseline, *raw_redis, *[r for r in services if r.name.startswith("cart")]]
    print(f"\nghz: {TOTAL} calls per row (warm-up first), concurrency {CONCURRENCY}, {os.cpu_count()} cores; "
          "every row measured in this run\n")
    print(table("catalogservice", catalog_rows, baseline))
    print()
    print(table("cartservice (AddItem also asks the catalog whether the product exists)", cart_rows, baseline))
    print(f"\nwrk: {HTTP_SECONDS} s per row after 2 s of warm-up, {CONCURRENCY} connections, 2 threads\n")
    print(gateway_table(through_gateway))
    print()
    print(table("the website, gunicorn (2 workers x 8 threads); 'bare' here is the bare Flask page", website,
                website[0]))
    print(f"\nthe whole pipeline: {SHOPPERS} shoppers placing {ORDERS} orders (cart, catalog, currency, shipping "
          "quote, stock, authorization, outbox), then capture, relays and consumers until SHIPPED\n")
    print(pipeline.table(flow))
    print(f"\nlocust: {LOCUST_SECONDS} s per mix, {LOCUST_USERS} users, 1 to 3 s between a user's tasks\n")
    print(locust_run.table(end_to_end))
    RESULTS.mkdir(exist_ok=True)
    http_rows = [r for pair in through_gateway for r in pair] + website
    (RESULTS / "services.json").write_text(json.dumps([r.__dict__ for r in [baseline, *services, *raw_redis, *http_rows]],
                                                      indent=2))
    (RESULTS / "locust.json").write_text(json.dumps([r.__dict__ for r in end_to_end], indent=2))
    return 0 if all(r.errors == 0 for r in [*services, *http_rows]) and flow.failures == 0 \
        and all(r.failures == 0 for r in end_to_end) else 1


if __name__ == "__main__":
    sys.exit(main())
