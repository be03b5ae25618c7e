import pytest

from identityservice.client_limits import ClientLimits, parse_rates
from identityservice.errors import TooManyRequests


def test_a_client_gets_its_rate_and_then_a_refusal_with_a_retry_time():
    limits = ClientLimits(parse_rates("3/second;100/minute"))
    for _ in range(3):
        limits.check("198.51.100.1")
    with pytest.raises(TooManyRequests) as refused:
        limits.check("198.51.100.1")
    assert refused.value.reason == "TOO_MANY_REQUESTS"
    assert 1 <= refused.value.retry_after_seconds <= 2
    assert refused.value.metadata == {"retry_after_seconds": str(refused.value.retry_after_seconds)}


def test_each_client_counts_for_itself():
    limits = ClientLimits(parse_rates("1/minute"))
    limits.check("198.51.100.1")
    limits.check("198.51.100.2")
    with pytest.raises(TooManyRequests):
        limits.check("198.51.100.1")


def test_every_rate_applies_and_the_longest_wait_is_told():
    limits = ClientLimits(parse_rates("100/second;2/minute"))
    limits.check("c")
    limits.check("c")
    with pytest.raises(TooManyRequests) as refused:
        limits.check("c")
    assert 50 <= refused.value.retry_after_seconds <= 60


@pytest.mark.parametrize("text", ["", "often", "10 per fortnight"])
def test_a_rate_that_says_nothing_is_refused(text):
    with pytest.raises(ValueError):
        parse_rates(text)
