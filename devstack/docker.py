"""A private Docker engine: Debian's dockerd with its own data root, exec root, pid file,
socket, bridge and address pools, so it never meets a Docker the machine already runs.

    python -m devstack.docker start [ROOT]   # start it (ROOT: SHOP_DOCKER_ROOT or .stack/docker)
    python -m devstack.docker stop [ROOT]    # stop its containers and it
    python -m devstack.docker env [ROOT]     # the DOCKER_HOST line for a shell

The container tests (tests/containers) and `make compose-up` run the shop in it. The data
root holds the images, so it is kept between runs: a second build reuses every layer. Only
one daemon runs on a root at a time (a lock file beside it says which process holds it).

Its containers reach the outside through a bridge of its own (shopd + a hash of the root),
on an address range that no route of the host's uses, with the host's MTU: this machine's
network is not 1500 bytes wide, and a bridge that is drops the packets of every TLS
handshake a build makes (pip, apt)."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack import host

REPO = Path(__file__).resolve().parents[1]
DOCKERD = "/usr/sbin/dockerd"
# Debian's docker.io client, the daemon's own release (another client may come first on PATH).
DOCKER = "/usr/bin/docker"
ROOT_ENV = "SHOP_DOCKER_ROOT"
DEFAULT_ROOT = REPO / ".stack" / "docker"
# Where `make test`'s engine keeps its images between runs, whatever the checkout.
TEST_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "shop" / "docker-tests"
TOOLS = REPO / ".tools"
COMPOSE = TOOLS / "bin" / "docker-compose"


class EngineError(RuntimeError):
    """The private engine could not be started or used."""


def _free_ranges(key: int, taken: list[ipaddress.IPv4Network]) -> tuple[ipaddress.IPv4Interface, str]:
    """A /24 for the bridge and a /16 pool for compose networks, chosen from the root's hash
    among ranges that overlap no route the host has."""
    for step in range(64):
        second = 16 + (key + step) % 16          # 172.16/12 split into /16s
        pool = ipaddress.ip_network(f"172.{second}.0.0/16")
        bridge = ipaddress.ip_network(f"10.{200 + (key + step) % 50}.{(key >> 8) % 250}.0/24")
        if not any(pool.overlaps(net) or bridge.overlaps(net) for net in taken):
            return ipaddress.ip_interface(f"{bridge.network_address + 1}/24"), str(pool)
    raise EngineError("no free private address range for the engine's networks")


class Engine:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()
        self.key = int(digest[:8], 16)
        self.bridge = f"shopd{digest[:6]}"
        # Unix socket paths are short (108 bytes), and containerd's live under the exec root.
        self.exec_root = Path(f"/run/shop-docker-{digest[:10]}")
        self.socket = self.root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.log_path = self.root / "dockerd.log"
        self._process: subprocess.Popen | None = None
        self._lock_fd: int | None = None

    # -- clients -----------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """Variables that point docker and docker compose at this engine and nowhere else."""
        env = dict(os.environ)
        env.update(DOCKER_HOST=self.host, DOCKER_CONFIG=str(TOOLS / "docker"))
        env.pop("DOCKER_CONTEXT", None)
        env.pop("DOCKER_TLS_VERIFY", None)
        return env

    def docker(self, *args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([DOCKER, *args], env=self.environment(), capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise EngineError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr or ''}".strip())
        return result

    def answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return self.docker("version", "--format", "{{.Server.Version}}", check=False,
                               timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    # -- life cycle --------------------------------------------------------------------------
    def _config(self) -> dict:
        return {
            "data-root": str(self.root / "data"),
            "exec-root": str(self.exec_root),
            "pidfile": str(self.root / "docker.pid"),
            "hosts": [self.host],
            "bridge": self.bridge,
            "mtu": host.mtu(),
            "default-address-pools": [{"base": self._pool, "size": 24}],
            "storage-driver": "overlay2",
            "log-driver": "json-file",
            "log-opts": {"max-size": "10m", "max-file": "2"},
            "shutdown-timeout": 20,
        }

    def _make_bridge(self) -> None:
        host.delete_bridge(self.bridge)  # left by an engine that was killed
        address, self._pool = _free_ranges(self.key, host.routes())
        host.make_bridge(self.bridge, address, host.mtu())

    def _take_lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "engine.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = (self.root / "engine.lock").read_text().strip() or "another process"
            raise EngineError(f"a private Docker engine already runs on {self.root} ({holder}); "
                              f"`python -m devstack.docker stop {self.root}` stops it") from None
        self._lock_fd = fd

    def start(self, timeout: float = 60.0) -> "Engine":
        if os.geteuid() != 0:
            raise EngineError("the private Docker engine needs root (dockerd manages namespaces and networks)")
        for binary in (DOCKERD, DOCKER):
            if not Path(binary).exists():
                raise EngineError(f"{binary} is missing: run `make deps` (Debian's docker.io)")
        self._take_lock()
        self._make_bridge()
        self.exec_root.mkdir(parents=True, exist_ok=True)
        config = self.root / "daemon.json"
        config.write_text(json.dumps(self._config(), indent=2) + "\n")
        log = self.log_path.open("ab")
        # dockerd inherits the lock: it is held for as long as the daemon runs, whoever started it.
        self._process = subprocess.Popen([DOCKERD, "--config-file", str(config)], stdout=log, stderr=log,
                                         start_new_session=True, pass_fds=(self._lock_fd,))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._cleanup()
                raise EngineError(f"dockerd exited ({self._process.returncode}):\n{self._log_tail()}")
            if self.answers():
                os.ftruncate(self._lock_fd, 0)
                os.pwrite(self._lock_fd, f"dockerd pid {self._process.pid}\n".encode(), 0)
                return self
            time.sleep(0.3)
        self.stop()
        raise EngineError(f"dockerd did not answer within {timeout:.0f} s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-3000:]
        return ""

    def stop(self, grace: float = 60.0) -> None:
        """Stop every container (dockerd does, on SIGTERM), the daemon, and remove the bridge,
        the exec root and any mount left under the roots."""
        pid = self._process.pid if self._process else _read_pid(self.root / "docker.pid")
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _alive(pid, self._process):
                time.sleep(0.2)
            if _alive(pid, self._process):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                time.sleep(0.5)
        self._cleanup()

    def _cleanup(self) -> None:
        host.unmount_under((self.root, self.exec_root))
        host.delete_bridge(self.bridge)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def keep_running(self) -> "Engine":
        """Start the engine unless it already answers, and leave it running after this process
        ends (`make compose-up`, `python -m devstack.docker start`); stop() finds it again
        through its pid file."""
        if not self.answers():
            self.start()
            self._process = None
        return self

    def __enter__(self) -> "Engine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_pid(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().strip())
    return None


def _alive(pid: int, process: subprocess.Popen | None) -> bool:
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "dockerd" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")


def root_from(argv: list[str]) -> Path:
    return Path(argv[0]) if argv else Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    engine = Engine(root_from(rest))
    if command == "start":
        engine.keep_running()
        print(f"private Docker engine up: DOCKER_HOST={engine.host}")
        return 0
    if command == "stop":
        engine.stop()
        print(f"private Docker engine on {engine.root} stopped")
        return 0
    if command == "env":
        print(f"export DOCKER_HOST={engine.host} DOCKER_CONFIG={TOOLS / 'docker'}")
        return 0
    print("usage: python -m devstack.docker start|stop|env [ROOT]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
