"""`make run`'s stack for real (python -m devstack run: honcho over the Procfile), on
free ports in a directory of the test's own: everything comes up, grpcurl lists the
catalog's services, a second start is refused, Ctrl-C stops every process, and a second
run starts again on the same data."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2

from devstack.stack import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD_FILE, MOVABLE_PORTS, SERVICES
from tests.support.http import request
from tests.support.net import free_port
from tests.support.services import REPO, health_status, wait_until
from tests.support.tools import tool


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_all_free(ports: dict, what: str) -> None:
    try:
        wait_until(lambda: not any(listening(p) for p in ports.values()), 30, what)
    except TimeoutError:
        busy = {name: port for name, port in ports.items() if listening(port)}
        owners = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
        raise AssertionError(f"{what}: still busy {busy}\n" + "\n".join(
            line for line in owners.splitlines() if any(f":{p} " in line for p in busy.values())))


@pytest.fixture
def stack_env():
    state = Path(tempfile.mkdtemp(prefix="shop-test-stack-"))
    state.chmod(0o755)  # PostgreSQL's unprivileged user must reach its data directory
    ports = {name: free_port() for name in MOVABLE_PORTS}
    for service in SERVICES:
        prefix = service.removesuffix("service").upper()
        ports.update({f"{prefix}_GRPC_PORT": free_port(), f"{prefix}_HTTP_PORT": free_port()})
    env = {**os.environ, "STACK_DIR": str(state), **{k: str(v) for k, v in ports.items()}}
    yield env, ports, state
    shutil.rmtree(state, ignore_errors=True)


def start(env, log: Path) -> subprocess.Popen:
    # A session of its own, so the test can Ctrl-C the whole group as a terminal would.
    return subprocess.Popen([sys.executable, "-m", "devstack", "run"], cwd=REPO, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def ctrl_c(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGINT)
    return process.wait(60)


def test_make_run_starts_everything_and_ctrl_c_stops_everything(stack_env, tmp_path):
    env, ports, state = stack_env
    address = f"127.0.0.1:{ports['CATALOG_GRPC_PORT']}"
    log = tmp_path / "run.log"
    first = start(env, log)
    try:
        wait_until(lambda: health_status(address) == health_pb2.HealthCheckResponse.SERVING, 120,
                   f"catalogservice serving under make run; log:\n{log.read_text() if log.exists() else ''}")
        for name in ("STACK_POSTGRES_PORT", "STACK_REDIS_PORT", "STACK_AMQP_PORT"):
            wait_until(lambda: listening(ports[name]), 60, f"{name} listening")
        for service in SERVICES:
            port = ports[f"{service.removesuffix('service').upper()}_GRPC_PORT"]
            wait_until(lambda: health_status(f"127.0.0.1:{port}") == health_pb2.HealthCheckResponse.SERVING, 60,
                       f"{service} serving under make run")
        gateway = f"http://127.0.0.1:{ports['STACK_GATEWAY_PORT']}"
        wait_until(lambda: listening(ports["STACK_GATEWAY_PORT"]), 60, "the gateway listening")
        products = request("GET", f"{gateway}/api/v1/products?page_size=2")
        assert products.status == 200 and len(products.json()["products"]) == 2, products.body
        website = f"http://127.0.0.1:{ports['STACK_WEB_PORT']}"
        wait_until(lambda: listening(ports["STACK_WEB_PORT"]), 60, "the website listening")
        assert request("GET", f"{website}/_healthz").json() == {"status": "ok"}
        # Prometheus can scrape the website's workers and RabbitMQ's queues as well as the services.
        assert "http_server_requests_total" in request(
            "GET", f"http://127.0.0.1:{ports['STACK_WEB_METRICS_PORT']}/metrics").body.decode()
        wait_until(lambda: listening(ports["STACK_RABBITMQ_PROMETHEUS_PORT"]), 60, "RabbitMQ's metrics listening")
        assert "rabbitmq_queue_messages_ready" in request(
            "GET", f"http://127.0.0.1:{ports['STACK_RABBITMQ_PROMETHEUS_PORT']}/metrics/per-object").body.decode()
        admin_password = (state / DEV_ADMIN_PASSWORD_FILE).read_text().strip()
        login = request("POST", f"{gateway}/api/v1/login", {"email": DEV_ADMIN_EMAIL, "password": admin_password})
        assert login.status == 200 and login.json()["access_token"].count(".") == 2, login.body
        users = request("GET", f"{gateway}/api/v1/admin/users",
                        headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert users.status == 200 and DEV_ADMIN_EMAIL in [u["email"] for u in users.json()["users"]], users.body
        listed = subprocess.run([tool("grpcurl"), "-plaintext", address, "list"], capture_output=True, text=True, timeout=30)
        assert {"shop.catalog.v1.CatalogService", "shop.catalog.v1.CurrencyService"} <= set(listed.stdout.split())
        output = log.read_text()
        assert "The shop runs here" in output and f"localhost:{ports['CATALOG_GRPC_PORT']}" in output

        again = subprocess.run([sys.executable, "-m", "devstack", "run"], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "already in use" in again.stderr
    finally:
        code = ctrl_c(first)
    assert code in (0, 130), log.read_text()[-3000:]
    wait_all_free(ports, "every port free after Ctrl-C")
    leftovers = subprocess.run(["pgrep", "-f", str(state)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], "no process of the stack outlives Ctrl-C"

    second = start(env, tmp_path / "run2.log")
    try:
        wait_until(lambda: health_status(address) == health_pb2.HealthCheckResponse.SERVING, 120,
                   "catalogservice serving again on the same data")
    finally:
        ctrl_c(second)
    wait_all_free(ports, "every port free after the second Ctrl-C")
