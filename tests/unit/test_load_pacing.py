"""The load generator's sign-ins and registrations stay at most about half of the shop's
per-client limits under each limits profile (tests/load/signins.py against
devstack/limits.py, identityservice's default and krakend/krakend.json), so that a run
against the right profile gets no 429."""
from __future__ import annotations

import pytest

from devstack import krakend, limits
from identityservice import config as identity_config
from identityservice.client_limits import parse_rates
from service_runtime.config import Env
from tests.load import signins
from tests.load.signins import PACING, Pacing, SignInBudget
from tests.support.clock import ManualClock

IDENTITY_DEFAULT = identity_config.load(Env({"DATABASE_URL": "postgresql://shop@127.0.0.1/identity"})).client_rates


def most_in(window_seconds: float, per_minute: float, burst: int) -> float:
    """The most a full token bucket lets through in any window of that length."""
    return burst + per_minute / 60 * window_seconds


def gateway_registration_rate(profile: limits.Limits) -> int:
    config = krakend.render(krakend.load(), port=8000, http_urls=krakend.container_http_urls(), keys_dir=krakend.KEYS_DIR,
                            client_rate=profile.gateway_client_rate)
    [registration] = [e for e in config["endpoints"] if (e["method"], e["endpoint"]) == ("POST", "/api/v1/users")]
    return registration["extra_config"][krakend.RATELIMIT]["clientMaxRate"]


@pytest.mark.parametrize("profile", limits.PROFILES.values(), ids=limits.PROFILES.keys())
def test_sign_ins_stay_under_half_of_identitys_limit_in_any_window(profile):
    pacing = PACING[profile.name]
    for rate in parse_rates(profile.login_rate_per_client or IDENTITY_DEFAULT):
        window = rate.get_expiry()
        assert most_in(window, pacing.sign_ins_per_minute, pacing.sign_in_burst) <= rate.amount / 2, (rate, pacing)


@pytest.mark.parametrize("profile", limits.PROFILES.values(), ids=limits.PROFILES.keys())
def test_api_registrations_stay_under_half_of_the_gateways_limit(profile):
    # KrakenD's per-client bucket holds clientMaxRate and refills that many a second.
    pacing = PACING[profile.name]
    allowed = gateway_registration_rate(profile)
    assert most_in(1, pacing.registrations_per_minute, pacing.registration_burst) <= allowed / 2


def test_the_load_test_profile_lets_300_shoppers_start_at_5_a_second():
    pacing = PACING[limits.LOADTEST.name]
    # One sign-in per shopper, beside the website's sign-ins again.
    assert pacing.sign_ins_per_minute >= 5 * 60 + pacing.sign_ins_again_per_minute
    assert pacing.registrations_per_minute / 60 >= 5


@pytest.mark.parametrize("pacing", PACING.values(), ids=PACING.keys())
def test_signing_in_again_is_a_trickle_within_the_sign_ins(pacing):
    assert pacing.sign_ins_again_per_minute <= pacing.sign_ins_per_minute / 2


def test_the_profile_is_named_by_the_environment_and_its_sign_ins_can_be_set():
    assert signins.pacing({}) == PACING["default"]
    assert signins.pacing({"LOADTEST_STACK_LIMITS": "loadtest"}) == PACING["loadtest"]
    moved = signins.pacing({"LOADTEST_SIGNINS_PER_MINUTE": "600", "LOADTEST_SIGNIN_BURST": "10",
                            "LOADTEST_SIGNINS_AGAIN_PER_MINUTE": "30"})
    assert (moved.sign_ins_per_minute, moved.sign_in_burst, moved.sign_ins_again_per_minute) == (600, 10, 30)
    assert moved.registrations_per_minute == PACING["default"].registrations_per_minute
    with pytest.raises(ValueError, match="LOADTEST_STACK_LIMITS"):
        signins.pacing({"LOADTEST_STACK_LIMITS": "unlimited"})


def test_every_profile_of_the_stack_has_a_pacing():
    assert set(PACING) == set(limits.PROFILES)


def test_the_budget_gives_its_burst_then_its_rate():
    clock = ManualClock()
    budget = Pacing(sign_ins_per_minute=60, sign_in_burst=2, registrations_per_minute=1, registration_burst=1,
                    sign_ins_again_per_minute=1).sign_ins(clock)
    assert [budget.try_take() for _ in range(3)] == [True, True, False]
    clock.now = 0.5
    assert not budget.try_take()
    clock.now = 1.0
    assert budget.try_take() and not budget.try_take()
    clock.now = 100.0  # a long pause refills the burst, no more
    assert [budget.try_take() for _ in range(3)] == [True, True, False]


def test_take_waits_until_one_may_be_spent():
    clock = ManualClock()
    budget = SignInBudget(per_minute=30, burst=1, clock=clock)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds

    budget.take(sleep)
    budget.take(sleep)
    assert slept == [2.0] and clock.now == 2.0
