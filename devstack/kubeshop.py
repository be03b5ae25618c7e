"""The shop on the local cluster (devstack/kube.py): its images, built by compose in the
private Docker engine (devstack/containers.py), loaded into the node's containerd, and
deploy/k8s-local (deploy/k8s with the local cluster's changes) applied with the pinned
kustomize.

    python -m devstack.kubeshop up     # `make k8s-shop`: images, secrets, apply, wait
    python -m devstack.kubeshop urls   # where the website and the API answer

The cluster must be up (`make k8s-up`). Secrets come from deploy/k8s/make-secrets.sh, in a
copy of the manifests under the cluster's root, so the repository's deploy/k8s/secrets is
neither needed nor touched. The tests (tests/kube) drive the same functions."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from devstack.containers import ComposeShop, write_loopback_env
from devstack.docker import REPO, Engine, EngineError
from devstack.docker import root_from as docker_root_from
from devstack.kube import TOOLS_BIN, Cluster, ClusterError
from devstack.kube import root_from as kube_root_from

NAMESPACE = "shop"
# The images of deploy/k8s, by the name the manifests give them; the shop's own are built by
# compose as <project>-<service> and tagged with the manifests' name before they are saved.
SHOP_IMAGES = ("catalogservice", "cartservice", "checkoutservice", "paymentservice", "shippingservice",
               "emailservice", "identityservice", "recommendationservice", "frontend")
THIRD_PARTY_IMAGES = ("postgres:15", "redis:7.2-alpine", "rabbitmq:3.13-management", "devopsfaith/krakend:1.4.1")
SHOP_TAG = "dev"
# What NodePort services the overlay publishes, by service: the port inside the cluster.
DOORS = {"frontend": 8080, "krakend": 8000}


def shop_image(service: str, tag: str = SHOP_TAG) -> str:
    return f"shop/{service}:{tag}"


def load_images(cluster: Cluster, engine: Engine, project: str, tag: str = SHOP_TAG) -> float:
    """Tag compose project `project`'s images with the manifests' names, save those and the
    third-party ones from the engine, and import into the cluster what it lacks (by image
    id, recorded in ROOT/images/loaded.json). The seconds it took."""
    start = time.monotonic()
    for service in SHOP_IMAGES:
        engine.docker("tag", f"{project}-{service}", shop_image(service, tag))
    names = [shop_image(service, tag) for service in SHOP_IMAGES] + list(THIRD_PARTY_IMAGES)
    ids = {name: engine.docker("image", "inspect", "--format", "{{.Id}}", name).stdout.strip() for name in names}
    record = cluster.root / "images" / "loaded.json"
    loaded = json.loads(record.read_text()) if record.exists() else {}
    present = set(cluster.images())
    missing = [name for name in names if loaded.get(name) != ids[name] or _containerd_name(name) not in present]
    if missing:
        archive = cluster.root / "images" / "shop.tar"
        archive.parent.mkdir(parents=True, exist_ok=True)
        try:
            engine.docker("save", "--output", str(archive), *missing)
            cluster.import_image(archive)
        finally:
            archive.unlink(missing_ok=True)
        loaded.update({name: ids[name] for name in missing})
        record.write_text(json.dumps(loaded, indent=2) + "\n")
    return time.monotonic() - start


def _containerd_name(name: str) -> str:
    """How containerd (and the kubelet) names a Docker-style reference: docker.io/library/..."""
    path = name if "/" in name else f"library/{name}"
    return path if path.split("/")[0].count(".") else f"docker.io/{path}"


def manifests(work: Path, settings: dict[str, dict[str, str]] | None = None) -> Path:
    """A copy of deploy/k8s and deploy/k8s-local under work, with secrets made by
    make-secrets.sh (kept when work already has them), then `settings` written into the env
    files they name (a path in deploy/k8s, e.g. "config/frontend.properties" or
    "secrets/identityservice.env" -> variables). The overlay's directory."""
    for name in ("k8s", "k8s-local"):
        shutil.copytree(REPO / "deploy" / name, work / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("secrets", "images"))
    subprocess.run([str(REPO / "deploy" / "k8s" / "make-secrets.sh"), str(work / "k8s" / "secrets")], check=True,
                   capture_output=True, text=True)
    for name, values in (settings or {}).items():
        set_env(work / "k8s" / name, values)
    return work / "k8s-local"


def set_env(path: Path, values: dict[str, str]) -> None:
    """Set variables in an env file, keeping its other lines (comments too) in place."""
    lines, left = [], dict(values)
    for line in path.read_text().splitlines():
        name = line.split("=", 1)[0] if "=" in line and not line.startswith("#") else None
        lines.append(f"{name}={left.pop(name)}" if name in left else line)
    path.write_text("\n".join(lines + [f"{name}={value}" for name, value in left.items()]) + "\n")


def apply(cluster: Cluster, overlay: Path, timeout: float = 600) -> float:
    """kustomize build | kubectl apply, then wait for every StatefulSet and Deployment to
    have rolled out. The seconds it took."""
    start = time.monotonic()
    built = subprocess.run([str(TOOLS_BIN / "kustomize"), "build", str(overlay)], capture_output=True, text=True)
    if built.returncode != 0:
        raise ClusterError(f"kustomize build {overlay} failed: {built.stderr.strip()}")
    cluster.kubectl("apply", "-f", "-", input=built.stdout)
    wait_rolled_out(cluster, timeout)
    return time.monotonic() - start


def wait_rolled_out(cluster: Cluster, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    for kind in ("statefulset", "deployment"):
        names = cluster.kubectl("-n", NAMESPACE, "get", kind, "-o", "name").stdout.split()
        for name in names:
            left = max(10, int(deadline - time.monotonic()))
            result = cluster.kubectl("-n", NAMESPACE, "rollout", "status", name, f"--timeout={left}s",
                                     check=False, timeout=left + 30)
            if result.returncode != 0:
                raise ClusterError(f"{name} did not roll out within {timeout:.0f} s: {result.stderr.strip()}\n"
                                   + describe_failing(cluster))


def describe_failing(cluster: Cluster) -> str:
    """The pods that are not Ready, with their last events and logs: what a person would look at."""
    pods = json.loads(cluster.kubectl("-n", NAMESPACE, "get", "pods", "-o", "json").stdout)["items"]
    report = []
    for pod in pods:
        ready = [c.get("ready") for c in pod.get("status", {}).get("containerStatuses", [])]
        if ready and all(ready):
            continue
        name = pod["metadata"]["name"]
        report.append(f"--- {name}: {json.dumps(pod.get('status', {}).get('containerStatuses', []))[:1500]}")
        report.append(cluster.kubectl("-n", NAMESPACE, "logs", name, "--tail=30", check=False).stdout)
    events = cluster.kubectl("-n", NAMESPACE, "get", "events", "--sort-by=.lastTimestamp", check=False).stdout
    return "\n".join(report + ["--- events", "\n".join(events.splitlines()[-30:])])


def node_port(cluster: Cluster, service: str) -> int:
    return int(cluster.kubectl("-n", NAMESPACE, "get", "service", service, "-o",
                               "jsonpath={.spec.ports[0].nodePort}").stdout)


def urls(cluster: Cluster) -> dict[str, str]:
    return {service: f"http://127.0.0.1:{node_port(cluster, service)}" for service in DOORS}


def up(cluster: Cluster, engine_root: Path) -> int:
    if not cluster.api_ready():
        raise ClusterError(f"no cluster answers on {cluster.root}: `make k8s-up` first")
    engine = Engine(engine_root).keep_running()
    env_file = cluster.root / "compose.env"
    if not env_file.exists():
        write_loopback_env(env_file)
    project = ComposeShop(engine, "shop", env_file)
    print(f"building the images in {engine.root}", flush=True)
    project.build()
    took = load_images(cluster, engine, "shop")
    print(f"images loaded into the cluster in {took:.0f} s; applying deploy/k8s-local", flush=True)
    took = apply(cluster, manifests(cluster.root / "manifests"))
    print(f"the shop rolled out in {took:.0f} s:")
    return show(cluster)


def show(cluster: Cluster) -> int:
    for service, url in urls(cluster).items():
        print(f"  {service:10} {url}")
    print(f"kubectl: export KUBECONFIG={cluster.kubeconfig}; kubectl -n {NAMESPACE} get pods")
    return 0


def main(argv: list[str]) -> int:
    commands = {"up": lambda cluster: up(cluster, docker_root_from([])), "urls": show}
    if not argv or argv[0] not in commands:
        print("usage: python -m devstack.kubeshop up|urls [CLUSTER_ROOT]", file=sys.stderr)
        return 2
    try:
        return commands[argv[0]](Cluster(kube_root_from(argv[1:])))
    except (ClusterError, EngineError) as err:
        print(f"kubeshop: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
