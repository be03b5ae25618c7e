"""`python -m bench local`: the same calls under `make run`'s stack, so that the gap between
the bench's own processes and the real local shop shows. The section starts
`python -m devstack run` (honcho over the Procfile, with its own PostgreSQL, Redis and
RabbitMQ, the services at INFO, KrakenD and the website) in a temporary stack directory
with every port moved to a free one (devstack/stack.py reads each from the environment),
so it never meets a `make run` already up on the usual ports; it inherits the bench's
environment as `make run` inherits the shell's (so tracing is on only when
OTEL_EXPORTER_OTLP_ENDPOINT is set). Beside it, in the same section, the bare baselines:
GetProduct (ghz) against the bare grpc.aio server, the home page (wrk) against the bare
Flask page, PlaceOrder (ghz) against GetProduct's p50. Then Ctrl-C stops the stack, as it
would stop `make run`."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from grpc_health.v1 import health_pb2

from bench import baselines, ghz, orders, pipeline, shop, tables
from bench.goals import ratio
from bench.settings import CONCURRENCY, LOCAL_START_SECONDS, PLACE_ORDER_CALLS, RESULTS, TOTAL
from devstack import processes
from devstack.stack import LOCAL_CALL_LOG, SERVICES, Stack
from service_runtime.tracing import OTLP_ENDPOINT_ENV
from tests.support.http import request
from tests.support.net import free_port
from tests.support.services import health_status

REPO = Path(__file__).resolve().parents[1]
SERVING = health_pb2.HealthCheckResponse.SERVING
# Ctrl-C first, as a person stops `make run`; then harder, if honcho hangs.


def moved_ports(state: Path) -> dict[str, str]:
    """Every port devstack's Stack reads from the environment, each moved to a free one."""
    names = Stack.from_env({"STACK_DIR": str(state)}).ports
    return {name: str(free_port()) for name in names}


def grpc_address(stack: Stack, service: str) -> str:
    return f"127.0.0.1:{stack.ports[service.removesuffix('service').upper() + '_GRPC_PORT']}"


def _answers(url: str) -> bool:
    try:
        return request("GET", url, timeout=2).status == 200
    except OSError:
        return False


def _ready(stack: Stack) -> bool:
    return (all(health_status(grpc_address(stack, service)) == SERVING for service in SERVICES)
            and _answers(f"http://127.0.0.1:{stack.ports['STACK_WEB_PORT']}/_healthz")
            and _answers(f"http://127.0.0.1:{stack.ports['STACK_GATEWAY_PORT']}/__health"))


@contextlib.contextmanager
def running(log_path: Path) -> Iterator[Stack]:
    """`python -m devstack run` on free ports in a temporary stack directory, until every
    service is SERVING and the website and the gateway answer; stopped with Ctrl-C after."""
    state = Path(tempfile.mkdtemp(prefix="shop-bench-stack-"))
    state.chmod(0o755)  # PostgreSQL's unprivileged user must reach its data directory
    env = {**os.environ, "STACK_DIR": str(state), **moved_ports(state)}
    stack = Stack.from_env(env)
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "devstack", "run"], cwd=REPO, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + LOCAL_START_SECONDS
            while not _ready(stack):
                if process.poll() is not None or time.monotonic() > deadline:
                    why = (f"exited with {process.returncode}" if process.poll() is not None
                           else f"did not answer within {LOCAL_START_SECONDS} s")
                    raise RuntimeError(f"`python -m devstack run` {why}; its log ({log_path}) ends:\n"
                                       f"{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(1)
            yield stack
        finally:
            processes.interrupt_group(process)
            shutil.rmtree(state, ignore_errors=True)


def section(logs: Path) -> tuple[str, bool, dict[str, float]]:
    """The rows, as printable text; whether every row ran without errors; and the values
    issue 15's table compares (bench/goals.py keys), measured under `make run`'s stack.
    Rows also go to local.json."""
    with contextlib.ExitStack() as cleanup:
        bare_grpc = baselines.start_bare_grpc(cleanup)
        bare_web = baselines.start_bare_web(cleanup)
        try:
            stack = cleanup.enter_context(running(logs / "local-stack.log"))
        except RuntimeError as failure:
            return f"under `make run`'s stack: not measured, the stack did not start.\n{failure}", False, {}
        catalog, cart = grpc_address(stack, "catalogservice"), grpc_address(stack, "cartservice")
        pipeline.stock_up(catalog)
        baseline, get_product = ghz.run_warmed([
            ("bare grpc.aio: Health/Check", bare_grpc, "grpc.health.v1.Health/Check", {}),
            ("catalog GetProduct", catalog, "shop.catalog.v1.CatalogService/GetProduct",
             {"id": "stoneware-mug"}),
        ], concurrency=CONCURRENCY, total=TOTAL)
        place_order = orders.run("checkout PlaceOrder (own cart each)", cart, grpc_address(stack, "checkoutservice"),
                                 concurrency=CONCURRENCY, total=PLACE_ORDER_CALLS)
        visitor = shop.visitor_with_cart(cart)
        bare_page = shop.measure_http("bare Flask page (gunicorn)", bare_web)
        home = shop.measure_http("home page (12 products)",
                                 f"http://127.0.0.1:{stack.ports['STACK_WEB_PORT']}/", visitor)
    values = {"get_product": ratio(get_product.rps, baseline.rps), "home_page": ratio(home.rps, bare_page.rps),
              "place_order_p50": ratio(place_order.p50_ms, get_product.p50_ms)}
    tracing = "on" if os.environ.get(OTLP_ENDPOINT_ENV) else f"off ({OTLP_ENDPOINT_ENV} unset)"
    text = "\n".join([
        f"under `make run`'s stack (python -m devstack run, honcho, free ports): tracing {tracing}, LOG_LEVEL "
        f"{os.environ.get('LOG_LEVEL') or 'INFO'}, CALL_LOG {os.environ.get('CALL_LOG') or LOCAL_CALL_LOG}; "
        f"ghz {TOTAL} calls per row ({PLACE_ORDER_CALLS} for PlaceOrder, "
        f"each its own cart), concurrency {CONCURRENCY}; the baselines started in this section\n",
        tables.vs_baseline("gRPC, beside a bare grpc.aio server", [baseline, get_product], baseline),
        "",
        tables.vs_p50("PlaceOrder beside GetProduct, the same concurrency", [get_product, place_order], get_product),
        "",
        tables.vs_baseline("the website, beside a bare Flask page (gunicorn)", [bare_page, home], bare_page),
    ])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "local.json").write_text(json.dumps(
        [asdict(r) for r in (baseline, get_product, place_order, bare_page, home)], indent=2))
    sound = all(r.errors == 0 for r in (get_product, place_order, home))
    return text, sound, values
