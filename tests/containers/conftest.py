"""The whole shop in containers: a private Docker engine of the tests' own (devstack/docker.py),
stand-ins for the third-party images (deploy/standins/), every image built from the
committed Dockerfiles, and the default profile of the committed docker-compose.yml started
with `docker compose up --wait`. The tests reach it only through what it publishes, moved
to free loopback ports.

The engine keeps its images between runs (devstack.docker.TEST_ROOT), so a warm run
rebuilds only what changed. Afterwards the project is taken down with its volumes, dangling
images are pruned, and the engine stops: no container, network, volume or mount is left.
Build times land in test-artifacts/containers/timings.json, for `make bench`."""
from __future__ import annotations

import json
import time

import pytest

from devstack.containers import ComposeShop, write_loopback_env
from tests.support import identity as identity_support
from tests.support.containers import ARTIFACTS, ContainerShop

# pytest-timeout counts fixture set-up too, and the first test here pays for the build: a cold
# one makes the stand-ins and every image from nothing.
BUILD_TIMEOUT = 3600


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/containers/" in item.nodeid and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BUILD_TIMEOUT))


# Torn down when the last test here is done: the cluster tests (tests/kube) need the CPU.
@pytest.fixture(scope="package")
def shop(engine, tmp_path_factory):
    env_file = tmp_path_factory.mktemp("compose") / "test.env"
    published = write_loopback_env(env_file, {
        # The first admin the support helpers sign in as (tests.support.gateway.stock_a_product).
        "ADMIN_EMAIL": identity_support.ADMIN_EMAIL, "ADMIN_PASSWORD": identity_support.ADMIN_PASSWORD,
        # The load profile's run: the smoke size, for half a minute.
        "LOCUST_USERS": "10", "LOCUST_SPAWN_RATE": "5", "LOCUST_RUN_TIME": "30s"})
    project = ComposeShop(engine, "shoptests", env_file)  # one name: its images are reused
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        build_seconds = project.build("load", "observability")
        start = time.monotonic()
        project.up()
        up_seconds = time.monotonic() - start
        (ARTIFACTS / "timings.json").write_text(json.dumps(
            {"build_seconds": round(build_seconds, 1), "up_seconds": round(up_seconds, 1)}) + "\n")
        yield ContainerShop(project, published)
    finally:
        (ARTIFACTS / "compose.log").write_text(project.logs(tail=2000))
        project.compose("--profile", "load", "--profile", "observability", "down", "--remove-orphans", "--volumes", "--timeout", "20",
                        check=False, timeout=300)
