"""Loopback networking helpers for tests: free ports and waiting for listeners."""
import socket
import time

from devstack import ports


free_port = ports.free_port  # one rule for every server a test starts (devstack/ports.py)


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    """Block until something accepts TCP connections on host:port, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout}s")


def listening_addresses(port: int) -> list[str]:
    """The local addresses ("127.0.0.1:8000", "0.0.0.0:8000", "[::]:8000") with a TCP
    listener on port, read from /proc/net/tcp and tcp6."""
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = open(table).read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            ip = socket.inet_ntop(family, raw)
            found.append(f"{ip}:{port}" if family == socket.AF_INET else f"[{ip}]:{port}")
    return found
