"""Token claims built from a policy, a user and an injected time."""
from datetime import datetime, timezone

from identityservice.tokens import Claims, TokenPolicy, issue_pair, refresh_expiry

POLICY = TokenPolicy(issuer="shop-identity", access_audience="shop-api", refresh_audience="shop-refresh",
                     access_ttl_seconds=900, refresh_ttl_seconds=1_209_600)
NOW = datetime(2025, 3, 1, 12, 0, 0, 750_000, tzinfo=timezone.utc)
IAT = 1740830400  # NOW in whole seconds, rounded down


def test_a_pair_has_the_access_and_refresh_claims():
    pair = issue_pair(POLICY, "user-1", ("customer", "admin"), NOW, access_jti="a1", refresh_jti="r1")
    assert pair.access == Claims(sub="user-1", iss="shop-identity", aud="shop-api", exp=IAT + 900, iat=IAT,
                                 jti="a1", roles=("customer", "admin"))
    assert pair.refresh == Claims(sub="user-1", iss="shop-identity", aud="shop-refresh", exp=IAT + 1_209_600,
                                  iat=IAT, jti="r1", roles=("customer", "admin"))


def test_the_audiences_differ_so_one_token_never_passes_for_the_other():
    pair = issue_pair(POLICY, "u", ("customer",), NOW, access_jti="a", refresh_jti="r")
    assert pair.access.aud != pair.refresh.aud


def test_times_are_whole_seconds():
    pair = issue_pair(POLICY, "u", ("customer",), NOW, access_jti="a", refresh_jti="r")
    assert isinstance(pair.access.iat, int) and isinstance(pair.access.exp, int)


def test_the_session_expires_with_its_refresh_token():
    pair = issue_pair(POLICY, "u", ("customer",), NOW, access_jti="a", refresh_jti="r")
    assert refresh_expiry(POLICY, NOW) == datetime.fromtimestamp(pair.refresh.exp, timezone.utc)
