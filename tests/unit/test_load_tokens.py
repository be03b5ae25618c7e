"""When the load test's API shoppers refresh their tokens (tests/load/tokens.py): from the
access token's own lifetime, on the client's clock, well before it expires."""
from __future__ import annotations

import base64
import json

import pytest

from tests.load.tokens import Session, claims, lifetime_seconds


def jwt(payload: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'kid': 'shop-dev-1'})}.{part(payload)}.c2lnbmF0dXJl"


ACCESS = jwt({"sub": "u1", "aud": "shop-api", "iat": 1_700_000_000, "exp": 1_700_000_900, "jti": "a"})
REFRESH = jwt({"sub": "u1", "aud": "shop-refresh", "iat": 1_700_000_000, "exp": 1_701_209_600, "jti": "r"})


def test_the_claims_are_read_without_padding():
    assert claims(ACCESS)["aud"] == "shop-api"
    assert lifetime_seconds(ACCESS) == 900


@pytest.mark.parametrize("token", ["", "a.b", "a.!!!.c", jwt({"iat": 5}), jwt({"iat": 10, "exp": 10}),
                                   "e30.WzFd.c2ln"])
def test_a_token_without_a_usable_lifetime_is_refused(token):
    with pytest.raises(ValueError):
        lifetime_seconds(token)


def test_a_session_refreshes_at_three_quarters_of_the_access_tokens_life_on_its_own_clock():
    # The client's monotonic clock has nothing to do with the token's iat.
    session = Session.from_pair({"access_token": ACCESS, "refresh_token": REFRESH, "user": {}}, received_at=50.0)
    assert session.refresh_due_at() == 50.0 + 675
    assert not session.refresh_due(50.0 + 674.9)
    assert session.refresh_due(50.0 + 675)


def test_refresh_every_only_makes_it_sooner():
    session = Session.from_pair({"access_token": ACCESS, "refresh_token": REFRESH}, received_at=0.0)
    assert session.refresh_due_at(refresh_every=8) == 8
    assert session.refresh_due_at(refresh_every=10_000) == 675


@pytest.mark.parametrize("pair", [{}, {"access_token": ACCESS}, {"access_token": ACCESS, "refresh_token": ""},
                                  {"access_token": "opaque", "refresh_token": REFRESH}])
def test_an_answer_without_both_usable_tokens_is_refused(pair):
    with pytest.raises(ValueError):
        Session.from_pair(pair, received_at=0.0)
