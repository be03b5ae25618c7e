"""What running the shop in containers costs, beside `make run`'s processes: the build of
every image from nothing and again with nothing changed, each image's size, and each
process's memory when idle, in containers and as the plain processes `make run` starts.

Everything runs in a private Docker engine of its own (devstack/docker.py) on a fresh data
root in a temporary directory, so the cold build really starts from nothing: the stand-ins'
Debian root file system from mmdebstrap (deploy/standins/), then every image of the default
profile. The compose project publishes only on free loopback ports. Then the engine stops,
its root is deleted, and the same processes start natively, the way the other sections
start them (bench/shop.py, over a temporary PostgreSQL, Redis and RabbitMQ), for the native
column. The two never run at the same time.

It takes about 7 minutes on this 2-core machine, more with a slow network: the cold build
about 4 (mmdebstrap and the stand-ins' apt downloads 2 1/2, the images' pip installs the
rest), then the start of the default profile, the native start and the two idle waits
(BENCH_IDLE_SECONDS, 30 s each)."""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from bench import shop, tracing_cost
from bench.memory import MIB, rss_mib, tree
from bench.settings import IDLE_SECONDS, RESULTS
from devstack import rabbitmq as devstack_rabbitmq
from devstack import redis as devstack_redis
from devstack import standins
from devstack.containers import ComposeShop, write_loopback_env
from devstack.docker import Engine, EngineError
from devstack.krakend import temporary_gateway
from devstack.ports import free_port
from devstack.postgres import temporary_cluster
from tests.support.http import request
from tests.support.services import wait_until

PROJECT = "shopbench"
# The compose services that run for good (keys runs once and exits), in the table's order;
# mailpit has no `make run` counterpart (emailservice writes .eml files there).
RUNNING = ("postgres", "redis", "rabbitmq", "mailpit", "catalogservice", "cartservice", "shippingservice",
           "paymentservice", "emailservice", "identityservice", "recommendationservice", "checkoutservice", "frontend",
           "krakend")
ENGINE_ROW = "the engine itself"

@dataclass(frozen=True)
class Image:
    name: str
    kind: str                  # "built" (from the shop's Dockerfiles), "stand-in", "base"
    size_mb: float             # docker image inspect's Size
    shared_mb: float | None    # docker system df -v: in layers other images use too
    unique_mb: float | None    # ... in layers of this image only


@dataclass(frozen=True)
class Memory:
    name: str
    container_mib: float | None      # docker stats' MemUsage (the container's cgroup)
    container_rss_mib: float | None  # RSS of the container's processes, summed (psutil)
    native_mib: float | None         # RSS of the same process and its children under `make run`


@dataclass(frozen=True)
class Measured:
    cold_seconds: float
    warm_seconds: float
    images: list[Image]
    images_total_mb: float | None    # docker system df: every image's layers, each counted once
    memory: dict[str, tuple[float, float]]  # service -> (docker stats MiB, RSS MiB); and the engine's
    unhealthy: list[str]


# -- parsing docker's human-readable sizes ----------------------------------------------------------
_UNITS = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
          "KiB": 1024, "MiB": MIB, "GiB": 1024 * MIB, "TiB": 1024 * 1024 * MIB}


def parse_size(text: str) -> float:
    """Bytes in "452.3MB", "1.2GiB", "0B" (docker's units.HumanSize and BytesSize)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*", text)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"not a size: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def mem_usage_mib(text: str) -> float:
    """The used part of docker stats' MemUsage, "45.2MiB / 23.54GiB", in MiB."""
    return parse_size(text.split("/")[0]) / MIB


# -- the containers -----------------------------------------------------------------------------------
def image_sizes(engine: Engine, project: ComposeShop) -> tuple[list[Image], float | None]:
    """Every image the default profile uses, the stand-ins its builds start from and their
    common base, with docker's sizes; and the engine's total (each layer counted once)."""
    standin_tags = [tag for standin in standins.STANDINS if standin.profile == "" for tag in standin.tags]
    used = project.compose("config", "--images").stdout.split()
    names = ([(name, "built") for name in sorted(used) if name not in standin_tags]
             + [(tag, "stand-in") for tag in standin_tags] + [(standins.base_tag(), "base")])
    shared: dict[str, tuple[float, float]] = {}
    verbose = engine.docker("system", "df", "-v", "--format", "{{json .}}", check=False)
    with contextlib.suppress(ValueError, KeyError):
        for row in json.loads(verbose.stdout)["Images"]:
            shared[f"{row['Repository']}:{row['Tag']}"] = (parse_size(row["SharedSize"]) / 1e6,
                                                           parse_size(row["UniqueSize"]) / 1e6)
    images = []
    for name, kind in names:
        size = int(engine.docker("image", "inspect", "--format", "{{.Size}}", name).stdout.strip())
        key = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
        images.append(Image(name, kind, size / 1e6, *shared.get(key, (None, None))))
    total = None
    summary = engine.docker("system", "df", "--format", "{{json .}}", check=False)
    with contextlib.suppress(ValueError):
        for line in summary.stdout.splitlines():
            row = json.loads(line)
            if row.get("Type") == "Images":
                total = parse_size(row["Size"]) / 1e6
    return images, total


def container_memory(engine: Engine) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """service -> (docker stats' MiB, its processes' RSS summed) for each running container
    of the project, plus ENGINE_ROW (dockerd, containerd, the shims and port proxies, RSS
    only); and the services not running healthy."""
    ids = engine.docker("ps", "--quiet", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout.split()
    inspected = json.loads(engine.docker("inspect", *ids).stdout) if ids else []
    stats = {}
    for line in engine.docker("stats", "--no-stream", "--format", "{{json .}}", *ids).stdout.splitlines():
        row = json.loads(line)
        stats[row["Name"]] = mem_usage_mib(row["MemUsage"])
    memory, in_containers, unhealthy = {}, set(), []
    for container in inspected:
        service = container["Config"]["Labels"]["com.docker.compose.service"]
        health = container["State"].get("Health", {}).get("Status", "none")
        if not container["State"]["Running"] or health not in ("healthy", "none"):
            unhealthy.append(f"{service} ({container['State']['Status']}, {health})")
        pids = tree(container["State"]["Pid"])
        in_containers |= pids
        memory[service] = (stats.get(container["Name"].lstrip("/"), float("nan")), rss_mib(pids))
    unhealthy += [f"{service} (not running)" for service in RUNNING if service not in memory]
    # The engine: the daemon and its children (containerd, docker-proxy), and the shims,
    # which containerd starts but which leave its process tree; never a container's process.
    daemon = int((engine.root / "docker.pid").read_text().strip())
    shims = {p.pid for p in psutil.process_iter(["cmdline"])
             if p.info["cmdline"] and "containerd-shim" in p.info["cmdline"][0]
             and any(str(engine.exec_root) in arg for arg in p.info["cmdline"])}
    memory[ENGINE_ROW] = (float("nan"), rss_mib((tree(daemon) | shims) - in_containers))
    return memory, unhealthy


def measure_containers(workdir: Path) -> Measured:
    """The builds, the sizes and the idle memory in a fresh private engine under workdir;
    the project taken down with its volumes and the engine stopped before returning."""
    env_file = workdir / "bench.env"
    write_loopback_env(env_file)
    with Engine(workdir / "engine") as engine:
        project = ComposeShop(engine, PROJECT, env_file)
        try:
            print(f"containers: cold build in a fresh engine ({engine.root})", flush=True)
            cold = project.build()
            print(f"containers: cold build took {cold:.0f} s; the warm one now", flush=True)
            warm = project.build()
            images, total = image_sizes(engine, project)
            print("containers: starting the default profile", flush=True)
            project.up()
            print(f"containers: healthy; idle for {IDLE_SECONDS} s", flush=True)
            time.sleep(IDLE_SECONDS)
            memory, unhealthy = container_memory(engine)
        finally:
            with contextlib.suppress(EngineError, OSError):
                project.down(volumes=True)
    return Measured(cold, warm, images, total, memory, unhealthy)


# -- the same processes under `make run` ------------------------------------------------------------
def _answers(url: str) -> bool:
    try:
        return request("GET", url, timeout=2).status == 200
    except OSError:
        return False


def native_memory(logs: Path) -> dict[str, float]:
    """Each process's RSS (with its children) after IDLE_SECONDS idle, started as the other
    sections start them: the same commands `make run` runs, on free loopback ports."""
    logs = logs / "containers-native"
    logs.mkdir(exist_ok=True)
    env = tracing_cost.tracing_env(None)  # as in the containers: no tracing
    with contextlib.ExitStack() as cleanup:
        cluster = cleanup.enter_context(temporary_cluster(shop.DATABASES, prefix="shop-bench-pg-"))
        redis = cleanup.enter_context(devstack_redis.temporary_server())
        broker = cleanup.enter_context(devstack_rabbitmq.temporary_node())
        services = shop.start_services(cleanup, {name: cluster.url(name) for name in shop.DATABASES}, broker.url,
                                       redis.url, logs, env)
        port = free_port()
        _, gateway = cleanup.enter_context(temporary_gateway(
            port, {s.module: s.http_url for name, s in services.items() if name in shop.CALLED_FROM_OUTSIDE},
            logs / "krakend.log"))
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/__health"), 30, "the gateway's health")
        site = shop.start_website(cleanup, services, logs, env)
        print(f"containers: the same processes natively; idle for {IDLE_SECONDS} s", flush=True)
        time.sleep(IDLE_SECONDS)
        postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
        pids = {
            "postgres": tree(postmaster),
            "redis": tree(redis._process.pid),
            # rabbitmq-server's beam and its epmd, without the Python wrapper that supervises them
            "rabbitmq": tree(broker._process.pid, include_self=False),
            **{service.module: tree(service.process.pid) for service in services.values()},
            "frontend": tree(site.process.pid),
            "krakend": tree(gateway.pid),
        }
        return {name: rss_mib(found) for name, found in pids.items()}


# -- the section ---------------------------------------------------------------------------------------
def _mib(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.1f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or top != top or bottom != bottom or bottom == 0:
        return "-"
    return f"{top / bottom:.2f}"


def builds_table(m: Measured) -> str:
    header = f"{'build (default profile)':<52} {'seconds':>9} {'vs cold':>8}"
    return "\n".join([
        "build times: every image the default profile uses, stand-ins included (ComposeShop.build)",
        header, "-" * len(header),
        f"{'cold: empty data root, stand-ins from mmdebstrap':<52} {m.cold_seconds:>9.1f} {1:>8.2f}",
        f"{'warm: right after, same root, nothing changed':<52} {m.warm_seconds:>9.1f} "
        f"{m.warm_seconds / m.cold_seconds:>8.2f}",
    ])


def sizes_table(m: Measured) -> str:
    header = f"{'image':<44} {'kind':<9} {'MB':>8} {'shared MB':>10} {'unique MB':>10}"
    lines = ["image sizes (docker image inspect's Size; shared and unique from docker system df -v; "
             "1 MB = 10^6 bytes)", header, "-" * len(header)]
    for image in m.images:
        lines.append(f"{image.name:<44} {image.kind:<9} {image.size_mb:>8.1f} {_mib(image.shared_mb):>10} "
                     f"{_mib(image.unique_mb):>10}")
    summed = sum(image.size_mb for image in m.images)
    python = next((image for image in m.images if image.name == "python:3.11-slim"), None)
    lines.append("")
    lines.append("The shop's Python images (services, website, keys) share python:3.11-slim's layers"
                 + (f" ({python.size_mb:.0f} MB)" if python else "")
                 + ", and the services and website also their dependency layer (requirements.runtime.lock);"
                 " every stand-in shares the Debian base.")
    if m.images_total_mb is not None:
        lines.append(f"On disk, each layer once (docker system df): {m.images_total_mb:.0f} MB of images, "
                     f"against {summed:.0f} MB summed above.")
    return "\n".join(lines)


def memory_rows(m: Measured, native: dict[str, float]) -> list[Memory]:
    rows = []
    for name in (*RUNNING, ENGINE_ROW):
        stats, rss = m.memory.get(name, (None, None))
        rows.append(Memory(name, None if stats != stats else stats, rss, native.get(name)))
    return rows


def memory_table(rows: list[Memory]) -> str:
    header = (f"{'process':<20} {'container':>10} {'cont. RSS':>10} {'make run':>9} {'container/native':>17} "
              f"{'RSS/native':>11}")
    lines = [f"idle memory, MiB, {IDLE_SECONDS} s after healthy: the default profile in containers, then the same "
             "processes natively as `make run` starts them (one after the other)", header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.name:<20} {_mib(r.container_mib):>10} {_mib(r.container_rss_mib):>10} "
                     f"{_mib(r.native_mib):>9} {_ratio(r.container_mib, r.native_mib):>17} "
                     f"{_ratio(r.container_rss_mib, r.native_mib):>11}")
    both = [r for r in rows if r.container_mib is not None and r.native_mib is not None]
    container, rss, native = (sum(getattr(r, f) for r in both)
                              for f in ("container_mib", "container_rss_mib", "native_mib"))
    lines.append("-" * len(header))
    lines.append(f"{'processes in both':<20} {container:>10.1f} {rss:>10.1f} {native:>9.1f} "
                 f"{_ratio(container, native):>17} {_ratio(rss, native):>11}")
    everything = sum(r.container_rss_mib or 0 for r in rows)
    lines += [
        f"{'containers all told':<20} {'':>10} {everything:>10.1f}   (RSS: every container, mailpit included, "
        "and the engine)",
        "",
        "container: docker stats' MemUsage, the container's memory cgroup less its inactive page cache. A page of a "
        "file is",
        "  charged to the one cgroup that read it first, so the interpreter, libraries and site-packages the images "
        "share",
        "  count in one container only: this column is lower than RSS without the processes using less. cont. RSS "
        "and",
        "  make run: the RSS of the process and its children (psutil), summed: shared pages (postgres's shared "
        "buffers in",
        "  its backends, the forks of gunicorn) count once per process; cont. RSS / make run is the like-for-like "
        "ratio.",
        "  postgres includes its backends, rabbitmq its beam and epmd (natively without devstack's Python "
        "wrapper),",
        "  frontend gunicorn's master and 2 workers. The rabbitmq container runs the management plugin besides "
        "prometheus,",
        "  `make run`'s node prometheus only; mailpit runs only in containers (natively emails go to .eml files). "
        "The engine",
        "  row is what containers cost besides their processes: dockerd, containerd, a shim per container, the "
        "port proxies.",
    ]
    return "\n".join(lines)


def section(logs: Path) -> tuple[str, bool]:
    """The three tables as printable text, and whether the run is sound: every container of
    the default profile healthy, every process measured on both sides, the warm build faster
    than the cold one. Rows also go to containers.json."""
    start = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-containers-"))
    try:
        measured = measure_containers(workdir)
    except EngineError as err:
        return f"containers: not measured: {err}", False
    finally:
        # After the engine has stopped (Engine.stop unmounts what it left under the root).
        shutil.rmtree(workdir, ignore_errors=True)
    native = native_memory(logs)
    rows = memory_rows(measured, native)
    seconds = time.monotonic() - start
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "containers.json").write_text(json.dumps({
        "cold_build_seconds": measured.cold_seconds, "warm_build_seconds": measured.warm_seconds,
        "images": [asdict(image) for image in measured.images], "images_total_mb": measured.images_total_mb,
        "idle_seconds": IDLE_SECONDS, "memory_mib": [asdict(row) for row in rows], "section_seconds": seconds,
    }, indent=2))
    lines = [builds_table(measured), "", sizes_table(measured), "", memory_table(rows)]
    if measured.unhealthy:
        lines.append(f"\nnot running healthy when measured: {', '.join(measured.unhealthy)}")
    lines.append(f"\nthe containers section took {seconds / 60:.1f} min")
    sound = (not measured.unhealthy and measured.warm_seconds < measured.cold_seconds
             and all(r.native_mib for r in rows if r.name not in ("mailpit", ENGINE_ROW))
             and all(r.container_mib for r in rows if r.name != ENGINE_ROW))
    return "\n".join(lines), sound
