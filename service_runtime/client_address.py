"""Which client a call comes from, for per-client limits.

The public door (KrakenD) sets X-Forwarded-For on the calls it makes; the HTTP facade
passes it on as the gRPC metadata key FORWARDED_FOR_KEY, and a trusted gRPC caller (the
website) may set that key itself. Without it, the caller's own peer address counts. Pure."""
from __future__ import annotations

import ipaddress

FORWARDED_FOR_KEY = "x-forwarded-for"


def first_forwarded(header: str) -> str | None:
    """The original client in an X-Forwarded-For value ("client, proxy1, proxy2"), if it
    is an IP address."""
    candidate = header.split(",", 1)[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def from_peer(peer: str) -> str:
    """The address in a gRPC peer string: "ipv4:127.0.0.1:5000" → "127.0.0.1",
    "ipv6:[::1]:5000" → "::1"; anything else as it is."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]")
    return peer


def of_call(metadata, peer: str) -> str:
    """The client address of a gRPC call, given its invocation metadata and peer."""
    for key, value in metadata or ():
        if key == FORWARDED_FOR_KEY:
            forwarded = first_forwarded(value)
            if forwarded:
                return forwarded
    return from_peer(peer)
