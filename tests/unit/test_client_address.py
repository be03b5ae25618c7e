import pytest

from service_runtime import client_address


@pytest.mark.parametrize("header, hops, expected", [
    ("203.0.113.7", 1, "203.0.113.7"),
    ("198.51.100.66, 203.0.113.7", 1, "203.0.113.7"),  # a forged first entry buys nothing
    ("198.51.100.66, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
    (" 2001:db8::1 ,10.0.0.2", 2, "2001:db8::1"),
    ("203.0.113.7", 2, None),  # shorter than our own chain: not from our proxies
    ("203.0.113.7", 0, None),  # no proxy trusted
    ("", 1, None),
    ("unknown", 1, None),
    ("203.0.113.7:4711", 1, None),
])
def test_only_the_address_our_own_proxies_wrote_counts(header, hops, expected):
    assert client_address.forwarded_client(header, hops) == expected


@pytest.mark.parametrize("peer, expected", [
    ("ipv4:127.0.0.1:50123", "127.0.0.1"),
    ("ipv6:[::1]:50123", "::1"),
    ("unix:/tmp/socket", "unix:/tmp/socket"),
])
def test_a_grpc_peer_gives_its_address(peer, expected):
    assert client_address.from_peer(peer) == expected


def test_forwarded_metadata_wins_over_the_peer():
    metadata = (("x-request-id", "r1"), ("x-forwarded-for", "198.51.100.4"))
    assert client_address.of_call(metadata, "ipv4:127.0.0.1:1") == "198.51.100.4"


def test_without_forwarded_metadata_the_peer_counts():
    assert client_address.of_call((("x-forwarded-for", "garbage"),), "ipv4:127.0.0.1:1") == "127.0.0.1"
    assert client_address.of_call(None, "ipv4:192.0.2.1:1") == "192.0.2.1"
