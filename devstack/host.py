"""What the private Docker engine (devstack/docker.py) and the local Kubernetes cluster
(devstack/kube.py) do to the host they run on, written once: the routes a new address
range must not overlap, the MTU a bridge must take, the bridge itself, and the mounts left
under a directory."""
from __future__ import annotations

import contextlib
import ipaddress
import subprocess
from pathlib import Path


def routes() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network the host routes, in any table (the default route left out)."""
    out = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    nets = []
    for line in out.splitlines():
        word = line.split()[0] if line.split() else ""
        if word in ("broadcast", "local", "unreachable", "blackhole", "prohibit", "throw"):
            word = line.split()[1]
        if word == "default":
            continue
        with contextlib.suppress(ValueError):
            nets.append(ipaddress.ip_network(word, strict=False))
    return nets


def mtu() -> int:
    """The MTU of the interface the host reaches the outside through. A bridge wider than it
    drops the large packets (a TLS handshake's) of everything behind it."""
    out = subprocess.run(["ip", "-4", "route", "get", "1.1.1.1"], capture_output=True, text=True).stdout.split()
    if "dev" in out:
        with contextlib.suppress(OSError, ValueError):
            return int(Path(f"/sys/class/net/{out[out.index('dev') + 1]}/mtu").read_text())
    return 1500


def make_bridge(name: str, address: ipaddress.IPv4Interface, width: int) -> None:
    """A bridge `name` with `address`, `width` bytes wide, up; one of that name left by a
    killed run is replaced."""
    delete_bridge(name)
    for argv in (["ip", "link", "add", "name", name, "type", "bridge"],
                 ["ip", "addr", "add", str(address), "dev", name],
                 ["ip", "link", "set", name, "mtu", str(width)],
                 ["ip", "link", "set", name, "up"]):
        subprocess.run(argv, check=True, capture_output=True)


def delete_bridge(name: str) -> None:
    if Path(f"/sys/class/net/{name}").exists():
        subprocess.run(["ip", "link", "delete", name], check=False, capture_output=True)


def mounts_under(roots: tuple[Path, ...]) -> list[str]:
    """The mount points at or below any of roots, parents first."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        target = line.split()[1].replace("\\040", " ")
        if any(target == str(root) or target.startswith(f"{root}/") for root in roots):
            found.append(target)
    return sorted(found, key=len)


def unmount_under(roots: tuple[Path, ...]) -> None:
    """Lazily unmount whatever is mounted below roots, children first."""
    for mount in reversed(mounts_under(roots)):
        subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
