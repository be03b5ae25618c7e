"""Free loopback ports for servers the tests and tools start.

A port the kernel hands out for port 0 comes from its ephemeral range, the range it also
takes the local ports of outgoing connections from. Between picking such a port and the
server binding it, any client connection (to PostgreSQL, RabbitMQ, a service) may take it,
and the server then fails with "address already in use". So the port is picked at
random *below* that range, where only listeners go, and checked free by binding it.

A port is also never handed out twice by one process: two servers given ports in a row
(a service's gRPC and HTTP ports) bind them only later, so a probe cannot see the first."""
from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10000  # above the well-known and registered ports most daemons use
_given: set[int] = set()  # ports this process handed out (a test run takes a few thousand)


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, outside the ephemeral range."""
    top = _ephemeral_start()
    for _ in range(200):
        port = random.randrange(_LOWEST, top) if top > _LOWEST + 100 else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = probe.getsockname()[1]
        if port not in _given:
            _given.add(port)
            return port
    raise RuntimeError("no free loopback port found below the ephemeral range")
