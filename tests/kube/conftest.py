"""The shop on a real Kubernetes: the single-node cluster devstack/kube.py builds from source
(scripts/install-tools.sh kubernetes), with the images the container tests built loaded into
its containerd and deploy/k8s-local applied with the pinned kustomize. Everything is reached
through 127.0.0.1 only: the website's and KrakenD's NodePorts, and kubectl port-forward.

The cluster's root is ~/.cache/shop/kube-tests, so its containerd keeps the images between
runs and a warm run imports only what changed. Every `up` is a fresh cluster (new etcd, new
volumes). Afterwards the cluster stops and nothing of it is left: no process, bridge, mount,
FORWARD rule or KUBE-* chain. Timings land in test-artifacts/kube/timings.json."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from devstack import host, kubeshop
from devstack.containers import ComposeShop, write_loopback_env
from devstack.kube import Cluster
from tests.support import identity as identity_support
from tests.support.gateway import User
from tests.support.kube import ARTIFACTS, KubeShop
from tests.support.services import wait_until

ROOT = Path(os.environ.get("SHOP_KUBE_TEST_ROOT", Path.home() / ".cache" / "shop" / "kube-tests"))
# Set-up counts against the first test's timeout: image builds (cold), the cluster, the rollout.
SETUP_TIMEOUT = 3600
# The settings the tests need: the first admin the support helpers sign in as.
SETTINGS = {"config/identityservice.properties": {"ADMIN_EMAIL": identity_support.ADMIN_EMAIL},
            "secrets/identityservice.env": {"ADMIN_PASSWORD": identity_support.ADMIN_PASSWORD}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/kube/" in item.nodeid and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SETUP_TIMEOUT))


@pytest.fixture(scope="package")
def cluster():
    cluster = Cluster(ROOT)
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()
    assert not host.mounts_under((cluster.root, cluster.run_dir)), "mounts left behind"
    assert not Path(f"/sys/class/net/{cluster.bridge}").exists(), "the bridge was left behind"
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    assert "KUBE-" not in rules and "shop-kube" not in rules, "iptables rules were left behind"


@pytest.fixture(scope="package")
def kube_shop(cluster, engine, tmp_path_factory) -> KubeShop:
    work = tmp_path_factory.mktemp("kube")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timings = {"cluster_up_seconds": cluster.state.get("start_seconds")}
    project = ComposeShop(engine, "shoptests", work / "compose.env")  # the container tests' images
    write_loopback_env(project.env_file)
    timings["image_build_seconds"] = round(project.build(), 1)
    timings["image_load_seconds"] = round(kubeshop.load_images(cluster, engine, project.project), 1)
    overlay = kubeshop.manifests(work, SETTINGS)
    try:
        timings["rollout_seconds"] = round(kubeshop.apply(cluster, overlay), 1)
    finally:
        (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    shop = KubeShop(cluster, overlay, kubeshop.urls(cluster))
    # Rolled out is not yet reachable: the NodePort rules and KrakenD's first connections
    # follow the endpoints by a moment. Ready when the first admin signs in through KrakenD.
    statuses = []

    def admin_signs_in() -> bool:
        statuses.append(User(shop.gateway, identity_support.ADMIN_EMAIL, identity_support.ADMIN_PASSWORD).login().status)
        return statuses[-1] == 200
    wait_until(admin_signs_in, 60, f"the admin's sign-in through KrakenD (answers: {statuses})", interval=1)
    timings["first_sign_in_answers"] = statuses
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    try:
        yield shop
    finally:
        _keep_logs(shop)


def _keep_logs(shop: KubeShop) -> None:
    """Every pod's log and the namespace's events, for a person reading a failed run."""
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for pod in shop.pods():
        name = pod["metadata"]["name"]
        (logs / f"{name}.log").write_text(shop.kubectl("logs", name, "--tail=2000", check=False).stdout)
    (logs / "events.txt").write_text(shop.kubectl("get", "events", "--sort-by=.lastTimestamp", check=False).stdout)
