"""What the shop on the local Kubernetes cluster costs (devstack/kube.py, devstack/kubeshop.py):
the build of the cluster's binaries with Go's caches warm, the cluster's start, loading the
shop's images into a containerd that has none, the rollout of deploy/k8s-local until every
workload is available, and the memory of the control plane and of every pod when idle.

The cluster runs on a fresh root in a temporary directory; the images come from the tests'
private Docker engine (devstack.docker.TEST_ROOT), built there when missing. A cold build of
the binaries (Go's module and build caches empty) is not repeated here: it took 659 s for
Kubernetes and 236 s for CoreDNS on this 2-core machine, measured once by
scripts/install-tools.sh (its log says "built in"). About 3 minutes with the images built."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.memory import rss_mib, tree
from bench.settings import IDLE_SECONDS, RESULTS
from devstack import kubeshop
from devstack.containers import ComposeShop, write_loopback_env
from devstack.docker import REPO, TEST_ROOT, Engine, EngineError
from devstack.kube import PROCESSES, Cluster, ClusterError



def _warm_build_seconds() -> float:
    """scripts/install-tools.sh kubernetes into an empty tools directory: Go's caches stay."""
    scratch = Path(tempfile.mkdtemp(prefix="shop-bench-kube-tools-"))
    try:
        start = time.monotonic()
        subprocess.run([str(REPO / "scripts" / "install-tools.sh"), "kubernetes"], check=True, capture_output=True,
                       env={**os.environ, "TOOLS_DIR": str(scratch)}, timeout=3600)
        return time.monotonic() - start
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _pod_memory(cluster: Cluster) -> dict[str, float]:
    """RSS (MiB) of each pod's processes, the sandbox's pause included, by pod name."""
    pods: dict[str, float] = {}
    for line in cluster.ctr("tasks", "list").stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 2 or not fields[1].isdigit():
            continue
        info = json.loads(cluster.ctr("containers", "info", fields[0]).stdout)
        pod = info.get("Labels", {}).get("io.kubernetes.pod.name", fields[0][:12])
        pods[pod] = pods.get(pod, 0.0) + rss_mib(tree(int(fields[1])))
    return pods


def _process_memory(cluster: Cluster) -> dict[str, float]:
    found = {}
    for name in PROCESSES:
        pid_file = cluster.pids / f"{name}.pid"
        if pid_file.exists():
            found[name] = rss_mib({int(pid_file.read_text().strip())})
    return found


def measure() -> dict:
    root = Path(tempfile.mkdtemp(prefix="shop-bench-kube-"))
    cluster = Cluster(root)
    facts: dict = {"warm_build_seconds": round(_warm_build_seconds(), 1)}
    try:
        start = time.monotonic()
        cluster.up()
        facts["up_seconds"] = round(time.monotonic() - start, 1)
        with Engine(TEST_ROOT) as engine:
            project = ComposeShop(engine, "shoptests", root / "compose.env")
            write_loopback_env(project.env_file)
            project.build()
            facts["image_load_seconds"] = round(kubeshop.load_images(cluster, engine, project.project), 1)
        facts["rollout_seconds"] = round(kubeshop.apply(cluster, kubeshop.manifests(root / "manifests")), 1)
        time.sleep(IDLE_SECONDS)
        facts["pods_mib"] = {name: round(mib, 1) for name, mib in sorted(_pod_memory(cluster).items())}
        facts["cluster_mib"] = {name: round(mib, 1) for name, mib in _process_memory(cluster).items()}
    finally:
        start = time.monotonic()
        cluster.down()
        facts["down_seconds"] = round(time.monotonic() - start, 1)
        shutil.rmtree(root, ignore_errors=True)
    return facts


def table(facts: dict) -> str:
    up_total = facts["up_seconds"] + facts["image_load_seconds"] + facts["rollout_seconds"]
    header = f"{'step':<58} {'seconds':>8} {'vs up':>6}"
    lines = ["the local Kubernetes cluster (deploy/k8s-local on devstack/kube.py)", header, "-" * len(header)]
    for label, key in (("binaries built again, Go caches warm (cold: 659 + 236 s)", "warm_build_seconds"),
                       ("cluster up: etcd .. kube-proxy, CoreDNS, volumes", "up_seconds"),
                       ("the shop's 12 images into an empty containerd", "image_load_seconds"),
                       ("kustomize build | kubectl apply, until all available", "rollout_seconds"),
                       ("cluster down, nothing left", "down_seconds")):
        lines.append(f"{label:<58} {facts[key]:>8.1f} {facts[key] / facts['up_seconds']:>6.2f}")
    lines.append(f"{'from nothing running to the shop answering':<58} {up_total:>8.1f} "
                 f"{up_total / facts['up_seconds']:>6.2f}")
    lines += ["", f"idle memory, RSS MiB, {IDLE_SECONDS} s after the rollout", f"{'process or pod':<40} {'MiB':>8}"]
    for name, mib in {**facts["cluster_mib"], **facts["pods_mib"]}.items():
        lines.append(f"{name:<40} {mib:>8.1f}")
    control, pods = sum(facts["cluster_mib"].values()), sum(facts["pods_mib"].values())
    lines += [f"{'control plane, kubelet, containerd':<40} {control:>8.1f}", f"{'every pod':<40} {pods:>8.1f}",
              f"{'all told':<40} {control + pods:>8.1f}   (pods / control plane: {pods / control:.2f})"]
    return "\n".join(lines)


def section(_logs: Path) -> tuple[str, bool]:
    if os.geteuid() != 0:
        return "kube: not measured: the local cluster needs root", False
    try:
        facts = measure()
    except (ClusterError, EngineError, subprocess.CalledProcessError) as err:
        return f"kube: not measured: {err}", False
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "kube.json").write_text(json.dumps(facts, indent=2))
    return table(facts), all(facts["pods_mib"].values()) and len(facts["pods_mib"]) >= 12

