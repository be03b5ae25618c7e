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
        with socket.socket() as probe:  # free now, and never handed out before
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        choices = iter([busy, busy, free])
        monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(choices))
        assert ports.free_port() == free


def test_a_port_is_never_handed_out_twice_before_its_server_binds_it(monkeypatch):
    first = ports.free_port()  # nothing binds it yet, as with a service's gRPC port before start
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        other = probe.getsockname()[1]
    choices = iter([first, first, other])
    monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(choices))
    assert ports.free_port() == other
