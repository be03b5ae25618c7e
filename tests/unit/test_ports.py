"""Ports for servers that tests start come from below the kernel's ephemeral range, where
outgoing connections never take them between the pick and the server's bind."""
import socket

from devstack import ports


def test_a_free_port_is_below_the_ephemeral_range_and_bindable():
    start = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    picked = {ports.free_port() for _ in range(50)}
    assert all(10000 <= port < start for port in picked), sorted(picked)
    assert len(picked) > 40, "picked at random, so concurrent pickers rarely meet"
    with socket.socket() as server:
        server.bind(("127.0.0.1", picked.pop()))
        server.listen()


def test_a_port_in_use_is_never_picked(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        taken.listen()
        free = ports.free_port()
        choices = iter([busy, busy, free])
        monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(choices))
        assert ports.free_port() == free
