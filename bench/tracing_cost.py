"""The throughput cost of tracing: the website's home page (wrk) and checkout's PlaceOrder
(the pipeline's shoppers) with tracing on against tracing off, in the same run.

Two copies of the shop run side by side, the same processes over databases and a RabbitMQ
vhost of their own, the tracing environment their only difference. 'On', every process
exports its spans over OTLP/HTTP to bench/otlp_sink.py, which accepts and discards them
(no collector is installed here); 'off' has a sink too, which must receive nothing. Each
call is measured in rounds, off, on, on, off, so that a change in the machine's load
during the run weighs on both halves alike (this machine is shared)."""
from __future__ import annotations

import contextlib
import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import otlp_sink, pipeline, shop, wrk
from bench.ghz import Result
from bench.settings import CONCURRENCY, HTTP_SECONDS, ORDERS, RESULTS, SHOPPERS, WARMUP_SECONDS
from service_runtime.tracing import OTLP_ENDPOINT_ENV, TRACE_FILE_ENV
from tests.support import scale

HALVES = ("off", "on")
ROUNDS = ("off", "on", "on", "off")
WARMUP_ORDERS = 20
HOME = "home page (12 products), wrk"
PLACE_ORDER = f"PlaceOrder, {SHOPPERS} shoppers (AddItem first)"


@dataclass(frozen=True)
class Stack:
    """One copy of the shop, as the measurements need it."""
    tracing: str
    cart: str
    checkout: str
    home_url: str
    visitor: dict[str, str]


@dataclass(frozen=True)
class Half:
    tracing: str
    home: Result
    place_order: Result
    received: otlp_sink.Stats


def tracing_env(endpoint: str | None) -> dict[str, str]:
    """The environment that turns tracing on, exporting to endpoint over OTLP/HTTP, or
    (endpoint None) off, whatever the bench's own environment says."""
    if endpoint is None:
        return {OTLP_ENDPOINT_ENV: "", TRACE_FILE_ENV: ""}
    # The traces endpoint too, so that one left in the environment cannot divert the spans.
    return {OTLP_ENDPOINT_ENV: endpoint, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint + otlp_sink.TRACES_PATH,
            TRACE_FILE_ENV: ""}


def start_stack(cleanup: contextlib.ExitStack, tracing: str, sink: otlp_sink.Sink, cluster, redis, broker,
                logs: Path) -> Stack:
    logs = logs / f"tracing-{tracing}"
    logs.mkdir()
    env = {"LOG_LEVEL": "WARNING", **tracing_env(sink.endpoint if tracing == "on" else None)}
    backing = cleanup.enter_context(scale.own_backing(cluster, broker, f"bench_tracing_{tracing}", shop.DATABASES))
    services = shop.start_services(cleanup, backing.databases, backing.amqp_url, redis.url, logs, env)
    site = shop.start_website(cleanup, services, logs, env)
    pipeline.stock_up(services["catalog"].address)
    return Stack(tracing, services["cart"].address, services["checkout"].address, f"{site.url}/",
                 shop.visitor_with_cart(services["cart"].address))


def measure_home(stack: Stack, seconds: int) -> Result:
    return wrk.run(HOME, stack.home_url, headers=stack.visitor, connections=CONCURRENCY, seconds=seconds)


def measure_place_order(stack: Stack, orders: int) -> Result:
    flow = pipeline.run(stack.cart, stack.checkout, orders=orders, concurrency=SHOPPERS)
    return Result(PLACE_ORDER, flow.orders_per_second, flow.place_p50_ms, flow.place_p99_ms, flow.failures,
                  flow.orders)


def merged(rounds: list[Result]) -> Result:
    """Rounds of one call as one row: req/s over all of them, p50 and p99 their mean."""
    count = sum(r.count for r in rounds)
    seconds = sum(r.count / r.rps for r in rounds)
    return Result(rounds[0].name, count / seconds, statistics.mean(r.p50_ms for r in rounds),
                  statistics.mean(r.p99_ms for r in rounds), sum(r.errors for r in rounds), count)


def in_rounds(stacks: dict[str, Stack], measure, amount: int) -> dict[str, Result]:
    """measure(stack, amount) for each half, in ROUNDS that share amount between them."""
    rounds: dict[str, list[Result]] = {tracing: [] for tracing in HALVES}
    share = max(1, amount * len(HALVES) // len(ROUNDS))
    for tracing in ROUNDS:
        rounds[tracing].append(measure(stacks[tracing], share))
    return {tracing: merged(results) for tracing, results in rounds.items()}


def table(off: Half, on: Half) -> str:
    header = (f"{'call':<42} {'tracing':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'req/s on/off':>13}")
    lines = ["the cost of tracing: the same processes with tracing off and on (OTLP/HTTP to a sink that "
             "discards the spans)", header, "-" * len(header)]
    for pick in (lambda half: half.home, lambda half: half.place_order):
        for half in (off, on):
            r = pick(half)
            lines.append(f"{r.name:<42} {half.tracing:>7} {r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                         f"{r.errors:>7} {r.rps / pick(off).rps:>13.2f}")
    lines.append("")
    for half in (off, on):
        got = half.received
        by_service = ", ".join(f"{name} {spans}" for name, spans in sorted(got.services.items()))
        lines.append(f"the sink received, tracing {half.tracing}: {got.spans} spans in {got.requests} exports "
                     f"({got.bytes / 1e6:.1f} MB){': ' + by_service if by_service else ''}")
    return "\n".join(lines)


def section(cluster, redis, broker, logs: Path) -> tuple[str, bool]:
    """Both halves measured, as printable text, and whether the run is sound: no errors,
    spans received with tracing on and none with it off. Rows also go to tracing.json."""
    with contextlib.ExitStack() as sinks:
        sink = {tracing: sinks.enter_context(otlp_sink.running()) for tracing in HALVES}
        with contextlib.ExitStack() as cleanup:
            stacks = {tracing: start_stack(cleanup, tracing, sink[tracing], cluster, redis, broker, logs)
                      for tracing in HALVES}
            for stack in stacks.values():  # warm-up: connections, caches, pools
                measure_home(stack, WARMUP_SECONDS)
                measure_place_order(stack, WARMUP_ORDERS)
            home = in_rounds(stacks, measure_home, HTTP_SECONDS)
            place_order = in_rounds(stacks, measure_place_order, ORDERS)
        # Every traced process has exited by now, flushing its last spans on the way out.
        off, on = (Half(tracing, home[tracing], place_order[tracing], sink[tracing].stats()) for tracing in HALVES)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tracing.json").write_text(json.dumps([asdict(half) for half in (off, on)], indent=2))
    intro = (f"tracing: two copies of the shop side by side, measured in rounds {', '.join(ROUNDS)}: the home page "
             f"{HTTP_SECONDS} s per half with wrk ({CONCURRENCY} connections, {WARMUP_SECONDS} s of warm-up), "
             f"PlaceOrder {ORDERS} orders per half ({WARMUP_ORDERS} of warm-up); req/s over a half's rounds, p50 and "
             "p99 their mean")
    rows = [off.home, on.home, off.place_order, on.place_order]
    sound = all(r.errors == 0 for r in rows) and off.received.spans == 0 and on.received.spans > 0
    return f"{intro}\n\n{table(off, on)}", sound
