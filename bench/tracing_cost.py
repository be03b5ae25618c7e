"""The throughput cost of tracing: the website's home page (wrk) and checkout's PlaceOrder
(the pipeline's shoppers) with tracing on, for every trace and for a tenth of them, against
tracing off, in the same run.

Three copies of the shop run side by side, the same processes over databases and a
RabbitMQ vhost of their own, the tracing environment their only difference. Traced, every
process exports its spans over OTLP/HTTP to bench/otlp_sink.py, which accepts and discards
them (no collector is installed here); 'off' has a sink too, which must receive nothing.
Each call is measured in rounds, off, on, sampled, sampled, on, off, so that a change in
the machine's load during the run weighs on each alike (this machine is shared)."""
from __future__ import annotations

import contextlib
import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import otlp_sink, pipeline, shop, wrk
from bench.ghz import Result
from bench.goals import ratio
from bench.settings import CONCURRENCY, HTTP_SECONDS, ORDERS, RESULTS, SHOPPERS, WARMUP_SECONDS
from service_runtime.tracing import OTLP_ENDPOINT_ENV, SAMPLER_ARG_ENV, SAMPLER_ENV, TRACE_FILE_ENV
from tests.support import scale

MODES = ("off", "on", "sampled")
ROUNDS = ("off", "on", "sampled", "sampled", "on", "off")
SAMPLED_RATIO = 0.1  # 'sampled': OTEL_TRACES_SAMPLER=parentbased_traceidratio at this ratio
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
class Mode:
    tracing: str
    home: Result
    place_order: Result
    received: otlp_sink.Stats


def tracing_env(endpoint: str | None, ratio: float = 1.0) -> dict[str, str]:
    """The environment that turns tracing on, exporting to endpoint over OTLP/HTTP and
    keeping `ratio` of the new traces, or (endpoint None) off, whatever the bench's own
    environment says."""
    if endpoint is None:
        return {OTLP_ENDPOINT_ENV: "", TRACE_FILE_ENV: ""}
    # The traces endpoint too, so that one left in the environment cannot divert the spans.
    return {OTLP_ENDPOINT_ENV: endpoint, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint + otlp_sink.TRACES_PATH,
            TRACE_FILE_ENV: "", SAMPLER_ENV: "parentbased_traceidratio", SAMPLER_ARG_ENV: str(ratio)}


def mode_env(tracing: str, sink: otlp_sink.Sink) -> dict[str, str]:
    if tracing == "off":
        return tracing_env(None)
    return tracing_env(sink.endpoint, SAMPLED_RATIO if tracing == "sampled" else 1.0)


def start_stack(cleanup: contextlib.ExitStack, tracing: str, sink: otlp_sink.Sink, cluster, redis, broker,
                logs: Path) -> Stack:
    logs = logs / f"tracing-{tracing}"
    logs.mkdir()
    env = {"LOG_LEVEL": "WARNING", **mode_env(tracing, sink)}
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
    seconds = sum(r.count / r.rps for r in rounds if r.rps > 0)  # a round that finished no call adds none
    return Result(rounds[0].name, count / seconds if seconds else 0.0, statistics.mean(r.p50_ms for r in rounds),
                  statistics.mean(r.p99_ms for r in rounds), sum(r.errors for r in rounds), count)


def in_rounds(stacks: dict[str, Stack], measure, amount: int) -> dict[str, Result]:
    """measure(stack, amount) for each mode, in ROUNDS that share amount between them."""
    rounds: dict[str, list[Result]] = {tracing: [] for tracing in MODES}
    share = max(1, amount * len(MODES) // len(ROUNDS))
    for tracing in ROUNDS:
        rounds[tracing].append(measure(stacks[tracing], share))
    return {tracing: merged(results) for tracing, results in rounds.items()}


def label(tracing: str) -> str:
    return f"{SAMPLED_RATIO:.0%}" if tracing == "sampled" else tracing


def table(modes: list[Mode]) -> str:
    off = modes[0]
    header = (f"{'call':<42} {'tracing':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'req/s vs off':>13}")
    lines = ["the cost of tracing: the same processes with tracing off, on for every trace, and on for "
             f"{SAMPLED_RATIO:.0%} of new traces (OTLP/HTTP to a sink that discards the spans)", header,
             "-" * len(header)]
    for pick in (lambda mode: mode.home, lambda mode: mode.place_order):
        for mode in modes:
            r = pick(mode)
            lines.append(f"{r.name:<42} {label(mode.tracing):>7} {r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                         f"{r.errors:>7} {r.rps / pick(off).rps:>13.2f}")
    lines.append("")
    for mode in modes:
        got = mode.received
        by_service = ", ".join(f"{name} {spans}" for name, spans in sorted(got.services.items()))
        lines.append(f"the sink received, tracing {label(mode.tracing)}: {got.spans} spans in {got.requests} "
                     f"exports ({got.bytes / 1e6:.1f} MB){': ' + by_service if by_service else ''}")
    return "\n".join(lines)


def section(cluster, redis, broker, logs: Path) -> tuple[str, bool, dict[str, float]]:
    """Every mode measured, as printable text; whether the run is sound: no errors, no
    spans with tracing off, spans with it on, and fewer of them sampled than not; and the
    ratios issue 15 sets goals for (bench/goals.py keys). Rows also go to tracing.json."""
    with contextlib.ExitStack() as sinks:
        sink = {tracing: sinks.enter_context(otlp_sink.running()) for tracing in MODES}
        with contextlib.ExitStack() as cleanup:
            stacks = {tracing: start_stack(cleanup, tracing, sink[tracing], cluster, redis, broker, logs)
                      for tracing in MODES}
            for stack in stacks.values():  # warm-up: connections, caches, pools
                measure_home(stack, WARMUP_SECONDS)
                measure_place_order(stack, WARMUP_ORDERS)
            home = in_rounds(stacks, measure_home, HTTP_SECONDS)
            place_order = in_rounds(stacks, measure_place_order, ORDERS)
        # Every traced process has exited by now, flushing its last spans on the way out.
        modes = [Mode(tracing, home[tracing], place_order[tracing], sink[tracing].stats()) for tracing in MODES]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tracing.json").write_text(json.dumps([asdict(mode) for mode in modes], indent=2))
    intro = (f"tracing: three copies of the shop side by side, measured in rounds {', '.join(ROUNDS)}: the home "
             f"page {HTTP_SECONDS} s per mode with wrk ({CONCURRENCY} connections, {WARMUP_SECONDS} s of warm-up), "
             f"PlaceOrder {ORDERS} orders per mode ({WARMUP_ORDERS} of warm-up); req/s over a mode's rounds, p50 "
             "and p99 their mean")
    off, on, sampled = modes
    rows = [r for mode in modes for r in (mode.home, mode.place_order)]
    sound = (all(r.errors == 0 for r in rows) and off.received.spans == 0
             and 0 < sampled.received.spans < on.received.spans)
    return f"{intro}\n\n{table(modes)}", sound, goal_values(off, on, sampled)


def goal_values(off: Mode, on: Mode, sampled: Mode) -> dict[str, float]:
    """Each traced mode's throughput over tracing off's, for the home page and PlaceOrder."""
    return {"tracing_on_home": ratio(on.home.rps, off.home.rps),
            "tracing_on_place_order": ratio(on.place_order.rps, off.place_order.rps),
            "tracing_sampled_home": ratio(sampled.home.rps, off.home.rps),
            "tracing_sampled_place_order": ratio(sampled.place_order.rps, off.place_order.rps)}
