"""`make compose-up` and `make compose-down` for people without a Docker of their own
(devstack/containers.py up and down): an engine of their own is started, the stand-ins and
images are built, the shop answers on what it publishes; then the shop and that engine stop,
leaving no daemon and no bridge. Its engine keeps its images in a cache of its own between
runs, as the tests' engine does; its ports are moved to free loopback ones through the env
file, as a user would with the *_PUBLISH variables."""
from __future__ import annotations

from pathlib import Path

from devstack import containers
from devstack.containers import write_loopback_env
from devstack.docker import TEST_ROOT, Engine
from devstack.host import mounts_under
from tests.support.http import request

ROOT = TEST_ROOT.parent / "docker-compose-up"


def test_compose_up_runs_the_shop_in_an_engine_of_its_own_and_compose_down_stops_both(tmp_path):
    env_file = tmp_path / ".env"
    published = write_loopback_env(env_file)
    engine = Engine(ROOT)
    try:
        assert containers.up(ROOT, env_file) == 0
        assert engine.answers()
        assert request("GET", f"http://{published['frontend']}/").status == 200
        listing = request("GET", f"http://{published['krakend']}/api/v1/products?page_size=1")
        assert listing.status == 200 and listing.json()["products"]
    finally:
        assert containers.down(ROOT, env_file) == 0
    assert not engine.answers()
    assert not Path(f"/sys/class/net/{engine.bridge}").exists()
    assert not mounts_under((engine.root, engine.exec_root))
