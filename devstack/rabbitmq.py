"""A private RabbitMQ node: its own node name, data and log directories, Erlang cookie
and ports (AMQP, distribution, epmd), so it never meets a system-wide broker. Given a
Prometheus port too, it serves RabbitMQ's own metrics there (the rabbitmq_prometheus
plugin, as the rabbitmq:3.13 image does on 15692), on loopback: per queue at
/metrics/per-object."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devstack import ports, processes

# Not /usr/sbin/rabbitmq-server: as root that wrapper su-s to the rabbitmq user and
# drops the environment that makes this node private.
SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
# Seconds a node gets to stop before its process group is killed, and then for the killed
# group to be gone. honcho SIGKILLs this wrapper 5 s after its SIGTERM, and the wrapper
# must have stopped epmd by then (epmd dies with the wrapper too: processes.dies_with_parent).
# Under `make run` a node's orderly stop takes ~6 s (it closes every client's connection
# and its quorum queues), so Ctrl-C kills it: its queues and messages are on disk, and it
# starts again from them (rebuilding its message store's index).
STOP_GRACE = 2.5
KILLED_GRACE = 1.0
USER = "shop"
PASSWORD = "shop"  # a local development broker on loopback, not a secret
# Where `python -m devstack rabbitmq` finds the Prometheus port; unset: no plugin, no port.
PROMETHEUS_PORT_ENV = "STACK_RABBITMQ_PROMETHEUS_PORT"
# The plugin's path with a series per queue (ready, unacked, ...), whatever the node's
# prometheus.return_per_object_metrics says; deploy/observability/prometheus.yml scrapes it.
PER_OBJECT_METRICS_PATH = "/metrics/per-object"


def node_name(amqp_port: int) -> str:
    return f"shop{amqp_port}@localhost"


def environment(directory: Path, amqp_port: int, dist_port: int, epmd_port: int,
                prometheus_port: int | None = None) -> dict[str, str]:
    """The variables that make rabbitmq-server (and rabbitmqctl) use this node."""
    directory = Path(directory).resolve()
    (directory / "log").mkdir(parents=True, exist_ok=True)
    (directory / "mnesia").mkdir(parents=True, exist_ok=True)
    config = directory / "rabbitmq.conf"
    config.write_text(
        "listeners.tcp.1 = 127.0.0.1:%d\n"
        "loopback_users = none\n"
        "default_user = %s\n"
        "default_pass = %s\n"
        "log.console = true\n"
        "log.console.level = warning\n"
        "log.file = false\n" % (amqp_port, USER, PASSWORD)
        + ("prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = %d\n" % prometheus_port if prometheus_port else "")
    )
    (directory / "enabled_plugins").write_text("[rabbitmq_prometheus].\n" if prometheus_port else "[].\n")
    return {
        "HOME": str(directory),  # the Erlang cookie lives here
        "RABBITMQ_NODENAME": node_name(amqp_port),
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(amqp_port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
        "RABBITMQ_LOG_BASE": str(directory / "log"),
        "RABBITMQ_CONFIG_FILE": str(config),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(directory / "rabbitmq.pid"),
        # Keep the machine's /etc/rabbitmq/rabbitmq-env.conf out of this node.
        "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
        "RABBITMQ_LOGS": "-",
        # Node-to-node traffic on loopback only (it listens on every interface otherwise).
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def url(amqp_port: int) -> str:
    return f"amqp://{USER}:{PASSWORD}@127.0.0.1:{amqp_port}/"


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Until something accepts connections on the loopback port, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


def _wait_for_group_gone(pgid: int, timeout: float, killed_grace: float = KILLED_GRACE) -> None:
    """Until no process of the group is left; SIGKILL what remains after `timeout`, and
    give up `killed_grace` seconds later (a process busy in the kernel dies of its SIGKILL
    as soon as it leaves it, waited for or not)."""
    deadline, killed = time.monotonic() + timeout, False
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            if killed:
                return
            os.killpg(pgid, signal.SIGKILL)
            deadline, killed = time.monotonic() + killed_grace, True
        time.sleep(0.05)


def run_server(directory: Path, amqp_port: int, dist_port: int, epmd_port: int,
               prometheus_port: int | None = None) -> int:
    """Run the node in the foreground beside an epmd of its own, and stop both on SIGTERM
    or SIGINT. Without its own epmd, Erlang starts a daemon that outlives the node. The
    Prometheus port, when not given, comes from STACK_RABBITMQ_PROMETHEUS_PORT (if set).

    The node runs in a process group of its own. A node still booting ignores SIGTERM,
    and a supervisor that loses patience SIGKILLs this wrapper, which would orphan the
    node holding its ports: so after STOP_GRACE seconds the wrapper kills the group."""
    if prometheus_port is None and os.environ.get(PROMETHEUS_PORT_ENV):
        prometheus_port = int(os.environ[PROMETHEUS_PORT_ENV])
    env = {**os.environ, **environment(directory, amqp_port, dist_port, epmd_port, prometheus_port)}
    # Its own session too: a terminal's Ctrl-C must not reach epmd before the node is
    # down (a node that loses its epmd starts a daemon one that outlives everything). But
    # it goes when this wrapper goes, however it goes: left behind, it would keep its port
    # and honcho's output pipe, and `make run` would hang after Ctrl-C.
    epmd = subprocess.Popen(["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"], env=env,
                            start_new_session=True, preexec_fn=processes.dies_with_parent(signal.SIGTERM))
    try:
        _wait_for_port(epmd_port)
        server = subprocess.Popen([SERVER], env=env, start_new_session=True)
        stop_requested_at: list[float] = []

        def request_stop(*_):
            if not stop_requested_at:
                stop_requested_at.append(time.monotonic())
                server.send_signal(signal.SIGTERM)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, request_stop)
        while True:
            try:
                code = server.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if stop_requested_at and time.monotonic() - stop_requested_at[0] > STOP_GRACE:
                    os.killpg(server.pid, signal.SIGKILL)
        # The script can exit while the node (beam) still shuts down; a node that finds
        # its epmd gone starts a daemon one that outlives everything. So the group goes
        # first, then epmd: within STOP_GRACE of the stop request, the group killed then.
        since_stop = time.monotonic() - stop_requested_at[0] if stop_requested_at else 0.0
        _wait_for_group_gone(server.pid, max(STOP_GRACE - since_stop, 0.0))
        return code
    finally:
        epmd.terminate()
        epmd.wait()


class Node:
    """A private RabbitMQ node for tests, started the way `make run` starts it
    (python -m devstack rabbitmq), on ports that stay the same across stop and start;
    with a Prometheus port, its metrics are at `metrics_url`."""

    def __init__(self, directory: Path, amqp_port: int, dist_port: int, epmd_port: int,
                 prometheus_port: int | None = None):
        self.directory = Path(directory)
        self.amqp_port = amqp_port
        self.epmd_port = epmd_port
        self.prometheus_port = prometheus_port
        self.url = url(amqp_port)
        self._env = {
            **os.environ, "STACK_DIR": str(self.directory), "STACK_AMQP_PORT": str(amqp_port),
            "STACK_RABBITMQ_DIST_PORT": str(dist_port), "STACK_EPMD_PORT": str(epmd_port),
        }
        self._env.pop(PROMETHEUS_PORT_ENV, None)
        if prometheus_port:
            self._env[PROMETHEUS_PORT_ENV] = str(prometheus_port)
        self._process: subprocess.Popen | None = None

    @property
    def metrics_url(self) -> str | None:
        """The node's per-queue Prometheus metrics, or None without a Prometheus port."""
        if not self.prometheus_port:
            return None
        return f"http://127.0.0.1:{self.prometheus_port}{PER_OBJECT_METRICS_PATH}"

    def start(self, timeout: float = 60.0) -> "Node":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "rabbitmq"], env=self._env, cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.amqp_port, timeout)
        if self.prometheus_port:
            _wait_for_port(self.prometheus_port, timeout)
        return self

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(30)

    def ctl(self, *args: str, timeout: float = 30) -> str:
        """rabbitmqctl against this node (its cookie lives in the node's directory, as
        `python -m devstack rabbitmq` lays it out); its output, or RuntimeError."""
        env = {**os.environ, "HOME": str((self.directory / "rabbitmq").resolve()),
               "RABBITMQ_NODENAME": node_name(self.amqp_port), "ERL_EPMD_PORT": str(self.epmd_port)}
        done = subprocess.run([CTL, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr or done.stdout}")
        return done.stdout

    @contextlib.contextmanager
    def vhost(self, name: str):
        """A vhost of its own on this node, open to the devstack user, removed afterwards;
        yields its AMQP URL. Queues of the same names in other vhosts never see its messages."""
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, USER, ".*", ".*", ".*")
        try:
            yield self.url.rstrip("/") + "/" + name
        finally:
            try:
                self.ctl("delete_vhost", name)
            except (RuntimeError, OSError, subprocess.TimeoutExpired):
                pass  # the node went first (the end of a test session): nothing is left to remove


@contextlib.contextmanager
def temporary_node():
    """A running private RabbitMQ node on free loopback ports (its Prometheus metrics
    too), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="shop-rabbitmq-"))
    node = Node(directory, ports.free_port(), ports.free_port(), ports.free_port(), ports.free_port()).start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(directory, ignore_errors=True)
