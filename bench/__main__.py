"""`make bench`: the services' RPCs under concurrency with ghz, each table beside a bare
grpc.aio server answering an empty RPC in the same run (and, for the cart, a raw Redis
round trip), with the ratio to the bare server; checkout's PlaceOrder beside GetProduct at
the same concurrency, every call with a cart of its own (bench/orders.py); the public API
through KrakenD beside the same calls made straight to the services' HTTP facades (wrk);
the website's pages beside a bare Flask page, both served by gunicorn (wrk); then the whole
order pipeline under load, closed loop (shoppers placing orders one after another) and open
loop (orders arriving at fixed rates, bench/arrivals.py): orders per second, PlaceOrder's
latency and the time from PlaceOrder to SHIPPED; end to end, the locust mixes of tests/load
against that website and gateway (bench/locust_run.py); each service's idle memory after
start and after the load (bench/memory.py). Then the cost of tracing
(bench/tracing_cost.py); the same calls under `make run`'s own stack, started for the
section on free ports (bench/local_stack.py); and one summary table of issue 15's goals
with every value from this run, met or not (bench/goals.py: goals are reported, a missed
one does not fail the bench). Last, the shop in containers (bench/containers.py): build
times, image sizes and idle memory beside `make run`'s processes (it builds every image
from nothing in a private engine of its own: about 7 minutes on 2 cores); and the shop on
the local Kubernetes cluster (bench/kube.py): its start, rollout and memory.

`python -m bench` runs every section; `python -m bench tracing` (or `services`, `local`,
`containers`, `kube`) just that one, and the summary then shows the goals that one
measured. The PostgreSQL, Redis and RabbitMQ that services and tracing share start only
when one of them runs; the other sections start what they need themselves. The exit code
is 1 when a row had errors, 0 otherwise."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from devstack import rabbitmq as devstack_rabbitmq
from devstack.krakend import temporary_gateway
from devstack import redis as devstack_redis
from devstack.postgres import temporary_cluster
from tests.support.http import request
from tests.support.net import free_port
from tests.support.services import wait_until

from bench import (arrivals, baselines, containers, ghz, goals, kube, local_stack, locust_run, memory, orders,
                   pipeline, redis_benchmark, shop, tracing_cost)
from bench.settings import (ARRIVAL_RATES, ARRIVAL_SECONDS, CONCURRENCY, HTTP_SECONDS, LOCUST_SECONDS, LOCUST_USERS,
                            MEMORY_IDLE_SECONDS, ORDERS, PLACE_ORDER_CALLS, RESULTS, SHOPPERS, TOTAL, WARMUP_SECONDS)
from bench.goals import ratio
from bench.tables import vs_baseline as table
from bench.tables import vs_p50

BENCH_PASSWORD = "quiet-harbor-lantern-77"
SECTIONS = ("services", "tracing", "local", "containers", "kube")
# The sections that run over the PostgreSQL cluster, Redis and RabbitMQ node main starts.
BACKED = ("services", "tracing")


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
    shop.fill_cart(services["cart"].address, user_id)
    bearer = {"Authorization": f"Bearer {token}"}
    pairs = [
        (("catalog ListProducts (20/page), facade", f"{services['catalog'].http_url}/v1/products?page_size=20", None),
         ("the same through KrakenD, anonymous", f"{gateway}/api/v1/products?page_size=20", None)),
        (("cart GetCart (3 lines), facade", f"{services['cart'].http_url}/v1/users/{user_id}/cart", None),
         ("the same through KrakenD, with a JWT", f"{gateway}/api/v1/cart", bearer)),
    ]
    return [tuple(shop.measure_http(*call) for call in pair) for pair in pairs], gateway


def website_rows(cleanup, services: dict, logs: Path, env: dict[str, str]) -> tuple[list[ghz.Result], str]:
    """The website's home, product and cart pages under concurrency, served by gunicorn as
    `python -m frontend` serves it, after a bare Flask page served the same way; and the
    website's URL (it stays up for the locust table)."""
    bare_url = baselines.start_bare_web(cleanup)
    site = shop.start_website(cleanup, services, logs, env)
    with_cart = shop.visitor_with_cart(services["cart"].address)
    rows = [shop.measure_http(name, url, headers) for name, url, headers in (
        ("bare Flask page (gunicorn)", bare_url, None),
        ("home page (12 products)", f"{site.url}/", with_cart),
        ("product page (stoneware-mug)", f"{site.url}/products/stoneware-mug", with_cart),
        ("cart page (3 lines, quote)", f"{site.url}/cart", with_cart),
    )]
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


def services_section(cluster, redis, broker, logs: Path) -> tuple[str, bool, dict[str, float]]:
    """The ghz, wrk, pipeline, locust and memory tables, as printable text; whether every
    row ran without errors; and the values of issue 15's goals measured here (bench/goals.py
    keys). Rows also go to services.json, arrivals.json, memory.json and locust.json."""
    quiet = {"LOG_LEVEL": "WARNING"}
    with contextlib.ExitStack() as cleanup:
        everything = shop.start_services(cleanup, {name: cluster.url(name) for name in shop.DATABASES}, broker.url,
                                         redis.url, logs, quiet)
        catalog, cart, checkout = everything["catalog"], everything["cart"], everything["checkout"]
        service_pids = {s.module: s.process.pid for s in everything.values()}
        time.sleep(MEMORY_IDLE_SECONDS)
        memory_after_start = memory.rss_mb_by_name(service_pids)
        bare_address = baselines.start_bare_grpc(cleanup)
        shop.fill_cart(cart.address, "bench:reader")
        through_gateway, gateway_url = gateway_rows(
            cleanup, {name: everything[name] for name in shop.CALLED_FROM_OUTSIDE}, logs)
        website, website_url = website_rows(cleanup, everything, logs, quiet)
        end_to_end = locust_run.run(website_url, gateway_url, catalog.address, users=LOCUST_USERS,
                                    seconds=LOCUST_SECONDS, out_dir=RESULTS / "locust")

        baseline, get_product, list_products, get_cart, add_item = services = ghz.run_warmed([
            ("bare grpc.aio: Health/Check", bare_address, "grpc.health.v1.Health/Check", {}),
            ("catalog GetProduct", catalog.address, "shop.catalog.v1.CatalogService/GetProduct",
             {"id": "stoneware-mug"}),
            ("catalog ListProducts (20/page)", catalog.address, "shop.catalog.v1.CatalogService/ListProducts",
             {"page_size": 20}),
            ("cart GetCart (3 lines)", cart.address, "shop.cart.v1.CartService/GetCart", {"owner_id": "bench:reader"}),
            ("cart AddItem (new cart each call)", cart.address, "shop.cart.v1.CartService/AddItem",
             {"owner_id": "bench:{{.RequestNumber}}", "product_id": "stoneware-mug", "quantity": 1}),
        ], concurrency=CONCURRENCY, total=TOTAL)
        services = services[1:]
        raw_redis = [
            redis_benchmark.run("raw Redis PING (redis-benchmark)", redis.port, "ping_mbulk",
                                concurrency=CONCURRENCY, total=TOTAL * 4),
            redis_benchmark.run("raw Redis HSET (redis-benchmark)", redis.port, "hset",
                                concurrency=CONCURRENCY, total=TOTAL * 4),
        ]
        pipeline.stock_up(catalog.address)  # enough stock for every order
        place_order = orders.run("checkout PlaceOrder (own cart each)", cart.address, checkout.address,
                                 concurrency=CONCURRENCY, total=PLACE_ORDER_CALLS)
        # The warm-up's orders ship after PlaceOrder's backlog of events, so it drains that too.
        pipeline.run(cart.address, checkout.address, orders=20, concurrency=SHOPPERS)
        flow = pipeline.run(cart.address, checkout.address, orders=ORDERS, concurrency=SHOPPERS)
        at_rates = [arrivals.run(cart.address, checkout.address, rate=rate, seconds=ARRIVAL_SECONDS)
                    for rate in ARRIVAL_RATES]
        time.sleep(MEMORY_IDLE_SECONDS)
        memory_after_load = memory.rss_mb_by_name(service_pids)

    catalog_rows = [baseline, *[r for r in services if r.name.startswith("catalog")]]
    cart_rows = [baseline, *raw_redis, *[r for r in services if r.name.startswith("cart")]]
    text = "\n".join([
        f"ghz: {TOTAL} calls per row (warm-up first), concurrency {CONCURRENCY}, {os.cpu_count()} cores; "
        "every row measured in this run\n",
        table("catalogservice", catalog_rows, baseline),
        "",
        table("cartservice (AddItem also asks the catalog whether the product exists)", cart_rows, baseline),
        "",
        vs_p50(f"checkout PlaceOrder beside GetProduct, both at concurrency {CONCURRENCY} ({PLACE_ORDER_CALLS} "
               f"orders after {orders.WARMUP_CALLS} of warm-up, each call a cart of its own filled before)",
               [get_product, place_order], get_product),
        f"\nwrk: {HTTP_SECONDS} s per row after {WARMUP_SECONDS} s of warm-up, {CONCURRENCY} connections, 2 threads\n",
        gateway_table(through_gateway),
        "",
        table("the website, gunicorn (2 workers x 8 threads); 'bare' here is the bare Flask page", website,
              website[0]),
        f"\nthe whole pipeline: {SHOPPERS} shoppers placing {ORDERS} orders (cart, catalog, currency, shipping "
        "quote, stock, authorization, outbox), then capture, relays and consumers until SHIPPED\n",
        pipeline.table(flow),
        f"\nthe whole pipeline at fixed arrival rates (open loop): orders placed at each rate for {ARRIVAL_SECONDS} s, "
        "carts filled before; PlaceOrder's latency from each order's due time; 'late': the most a call went "
        "out after its due time\n",
        arrivals.table(at_rates),
        f"\nlocust: {LOCUST_SECONDS} s per mix, {LOCUST_USERS} users, 1 to 3 s between a user's tasks\n",
        locust_run.table(end_to_end),
        "",
        memory.table(memory_after_start, memory_after_load, MEMORY_IDLE_SECONDS),
    ])
    RESULTS.mkdir(exist_ok=True)
    http_rows = [r for pair in through_gateway for r in pair] + website
    grpc_rows = [baseline, *services, place_order, *raw_redis]
    (RESULTS / "services.json").write_text(json.dumps([r.__dict__ for r in [*grpc_rows, *http_rows]], indent=2))
    (RESULTS / "arrivals.json").write_text(json.dumps([asdict(r) for r in at_rates], indent=2))
    (RESULTS / "memory.json").write_text(json.dumps({"after_start_mb": memory_after_start,
                                                     "after_load_mb": memory_after_load}, indent=2))
    (RESULTS / "locust.json").write_text(json.dumps([r.__dict__ for r in end_to_end], indent=2))
    sound = all(r.errors == 0 for r in [*services, place_order, *http_rows]) and flow.failures == 0 \
        and all(r.failures == 0 for r in [*end_to_end, *at_rates])
    bare_page, home, product, cart_page = website
    largest = memory.largest(memory_after_start, memory_after_load)
    values = {
        "get_product": ratio(get_product.rps, baseline.rps), "list_products": ratio(list_products.rps, baseline.rps),
        "get_cart": ratio(get_cart.rps, baseline.rps), "add_item": ratio(add_item.rps, baseline.rps),
        "home_page": ratio(home.rps, bare_page.rps), "product_page": ratio(product.rps, bare_page.rps),
        "cart_page": ratio(cart_page.rps, bare_page.rps),
        "place_order_p50": ratio(place_order.p50_ms, get_product.p50_ms),
        **{goals.rate_key(r.offered_rate): r.to_shipped_p99_ms / 1000 for r in at_rates},
        **({"idle_rss": largest[1]} if largest else {}),
    }
    return text, sound, values


def goals_summary(measured: dict[str, float], under_make_run: dict[str, float]) -> str:
    """Issue 15's table from what the sections measured, as printable text; also goals.json."""
    summary = goals.issue_15(ARRIVAL_RATES)

    def number(value: float | None) -> float | None:  # JSON has no NaN
        return None if value is None or value != value else value

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "goals.json").write_text(json.dumps(
        [{**asdict(goal), "value": number(measured.get(goal.key)),
          "under_make_run": number(under_make_run.get(goal.key)), "verdict": goal.verdict(measured.get(goal.key))}
         for goal in summary], indent=2))
    return goals.table(summary, measured, under_make_run)


def main(argv: list[str]) -> int:
    wanted = argv or list(SECTIONS)
    if unknown := [name for name in wanted if name not in SECTIONS]:
        print(f"usage: python -m bench [{' | '.join(SECTIONS)}]... (unknown: {', '.join(unknown)})", file=sys.stderr)
        return 2
    logs = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    sound = True
    measured: dict[str, float] = {}        # issue 15's values, from the bench's own processes
    under_make_run: dict[str, float] = {}  # ... and from `make run`'s stack (the local section)

    def report(text: str, ok: bool, values: dict[str, float] | None = None, into: dict | None = None) -> None:
        nonlocal sound
        print(f"\n{text}", flush=True)
        sound = sound and ok
        (measured if into is None else into).update(values or {})

    if any(name in wanted for name in BACKED):
        with contextlib.ExitStack() as backing:
            cluster = backing.enter_context(temporary_cluster(shop.DATABASES, prefix="shop-bench-pg-"))
            redis = backing.enter_context(devstack_redis.temporary_server())
            broker = backing.enter_context(devstack_rabbitmq.temporary_node())
            for name, run in (("services", services_section), ("tracing", tracing_cost.section)):
                if name in wanted:
                    report(*run(cluster, redis, broker, logs))
    # After the backing has stopped: these start their own (and measure the machine's memory).
    if "local" in wanted:
        report(*local_stack.section(logs), into=under_make_run)
    if measured or under_make_run:
        report(goals_summary(measured, under_make_run), True)
    if "containers" in wanted:
        report(*containers.section(logs))
    if "kube" in wanted:
        report(*kube.section(logs))
    shutil.rmtree(logs, ignore_errors=True)
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
