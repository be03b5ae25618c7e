"""KrakenD CE as scripts/install-tools.sh builds it: it accepts a minimal configuration, serves
its /__health endpoint on loopback only, and reports the pinned version."""
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devstack import processes
from tests.support.net import free_port, listening_addresses, wait_for_port
from tests.support.tools import tool

REPO = Path(__file__).resolve().parents[2]
INSTALL_TOOLS = REPO / "scripts" / "install-tools.sh"


def pinned_krakend_version() -> str:
    """KRAKEND_VERSION as pinned in scripts/install-tools.sh, the one source of truth."""
    match = re.search(r"^KRAKEND_VERSION=(\S+)\s*$", INSTALL_TOOLS.read_text(), re.MULTILINE)
    assert match, f"no KRAKEND_VERSION=... line in {INSTALL_TOOLS}"
    return match.group(1).strip("'\"")


# Straight to loopback, whatever HTTP proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_json(url: str) -> tuple[int, dict]:
    with DIRECT.open(url, timeout=2) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def krakend_config(tmp_path):
    port = free_port()
    config = {
        "version": 2,
        "name": "shop integration test",
        "port": port,
        "listen_ip": "127.0.0.1",
        "timeout": "3s",
        "endpoints": [],
    }
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(config, indent=2))
    return path, port


@pytest.fixture
def running_krakend(krakend_config, tmp_path):
    config, port = krakend_config
    log_path = tmp_path / "krakend.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [tool("krakend"), "run", "-c", str(config)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:
            pytest.fail(f"krakend did not listen on {port} (exit code {process.poll()}):\n{log_path.read_text()}")
        yield port, process, log_path
    finally:
        processes.stop(process, grace=10)


def test_check_accepts_a_minimal_config(krakend_config):
    config, _ = krakend_config
    result = subprocess.run(
        [tool("krakend"), "check", "-c", str(config)], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_run_serves_health_on_loopback(running_krakend):
    port, process, log_path = running_krakend
    url = f"http://127.0.0.1:{port}/__health"
    deadline = time.monotonic() + 30
    last = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"krakend exited with {process.returncode}:\n{log_path.read_text()}"
        try:
            status, body = get_json(url)
            if status == 200 and body.get("status") == "ok":
                return
            last = (status, body)
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError) as exc:
            last = exc
        time.sleep(0.1)
    pytest.fail(f"GET {url} never answered 200 with status ok; last answer: {last!r}\n{log_path.read_text()}")


def test_version_is_the_pinned_one():
    result = subprocess.run([tool("krakend"), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Version: {pinned_krakend_version()}" in result.stdout + result.stderr


def test_it_listens_on_the_configured_address_only(running_krakend):
    """lura-listen-ip.patch: with listen_ip 127.0.0.1 nothing listens on another address."""
    port, _, _ = running_krakend
    assert listening_addresses(port) == [f"127.0.0.1:{port}"]


def test_check_accepts_the_shops_configuration():
    """krakend/krakend.json as committed (keys are not needed to check it)."""
    result = subprocess.run(
        [tool("krakend"), "check", "-c", str(REPO / "krakend" / "krakend.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "Syntax OK!" in result.stdout + result.stderr, result.stdout + result.stderr
