"""Which client a call comes from, for per-client limits.

The public door (KrakenD) sets X-Forwarded-For on the calls it makes, to the address that
connected to it (its build ignores the client's own header: docs/decisions/0005). Each
proxy appends the address it saw, so only the last `trusted_hops` entries were written by
our own proxies; anything left of them may be the client's invention. The HTTP facade
passes the client on as the gRPC metadata key FORWARDED_FOR_KEY, and a trusted gRPC caller
(the website) may set that key itself. Without it, the caller's own peer address counts.
Pure."""
from __future__ import annotations

import ipaddress

FORWARDED_FOR_KEY = "x-forwarded-for"


def forwarded_client(header: str, trusted_hops: int = 1) -> str | None:
    """The client as the first of our trusted proxies saw it: the address `trusted_hops`
    from the right of an X-Forwarded-For value ("client?, proxy1, proxy2"). None when no
    hop is trusted, the header is shorter than that, or that entry is not an IP address."""
    entries = [entry.strip() for entry in header.split(",")] if header.strip() else []
    if trusted_hops < 1 or len(entries) < trusted_hops:
        return None
    try:
        return str(ipaddress.ip_address(entries[-trusted_hops]))
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
        if key == FORWARDED_FOR_KEY:  # set by our own facade or website: its last entry
            forwarded = forwarded_client(value)
            if forwarded:
                return forwarded
    return from_peer(peer)
