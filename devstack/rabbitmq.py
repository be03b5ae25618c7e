"""A private RabbitMQ node: its own node name, data and log directories, Erlang cookie
and ports (AMQP, distribution, epmd), so it never meets a system-wide broker."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

# Not /usr/sbin/rabbitmq-server: as root that wrapper su-s to the rabbitmq user and
# drops the environment that makes this node private.
SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
USER = "shop"
PASSWORD = "shop"  # a local development broker on loopback, not a secret


def node_name(amqp_port: int) -> str:
    return f"shop{amqp_port}@localhost"


def environment(directory: Path, amqp_port: int, dist_port: int, epmd_port: int) -> dict[str, str]:
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
    )
    (directory / "enabled_plugins").write_text("[].\n")
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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"epmd did not listen on {port}")


def run_server(directory: Path, amqp_port: int, dist_port: int, epmd_port: int) -> int:
    """Run the node in the foreground beside an epmd of its own, and stop both on SIGTERM
    or SIGINT. Without its own epmd, Erlang starts a daemon that outlives the node."""
    env = {**os.environ, **environment(directory, amqp_port, dist_port, epmd_port)}
    epmd = subprocess.Popen(["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"], env=env)
    try:
        _wait_for_port(epmd_port)
        server = subprocess.Popen([SERVER], env=env)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: server.send_signal(signal.SIGTERM))
        return server.wait()
    finally:
        epmd.terminate()
        epmd.wait()
