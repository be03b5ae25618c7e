"""When sign-in attempts for an address are refused: after 5 failures within the window,
for the lock's duration; an attempt is counted before its password is checked."""
from datetime import datetime, timedelta, timezone

from identityservice.lockout import AttemptState, LockoutPolicy, claim_attempt, spent

POLICY = LockoutPolicy(max_failures=5, window=timedelta(minutes=15), lock=timedelta(minutes=15))
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def attempts(count: int, start: datetime = T0, every: timedelta = timedelta(seconds=1),
             state: AttemptState = AttemptState()):
    """Claim `count` attempts that all fail; the claims made."""
    claims = []
    for n in range(count):
        claim = claim_attempt(state, start + n * every, POLICY)
        claims.append(claim)
        state = claim.state
    return claims


def test_the_first_attempt_starts_a_window():
    claim = claim_attempt(AttemptState(), T0, POLICY)
    assert not claim.refused
    assert claim.state == AttemptState(failures=1, window_start=T0, locked_until=None)


def test_the_fifth_failure_locks_and_the_sixth_attempt_is_refused():
    claims = attempts(6)
    assert [c.refused for c in claims] == [False] * 5 + [True]
    assert claims[4].state.locked_until == T0 + timedelta(seconds=4) + POLICY.lock
    assert claims[5].retry_after_seconds == 15 * 60 - 1


def test_a_refused_attempt_changes_nothing():
    locked = attempts(5)[-1].state
    claim = claim_attempt(locked, T0 + timedelta(minutes=1), POLICY)
    assert claim.refused and claim.state == locked


def test_retry_after_rounds_up_and_is_at_least_one_second():
    locked = attempts(5)[-1].state
    almost = locked.locked_until - timedelta(milliseconds=300)
    assert claim_attempt(locked, almost, POLICY).retry_after_seconds == 1
    assert claim_attempt(locked, locked.locked_until - timedelta(seconds=90.2), POLICY).retry_after_seconds == 91


def test_after_the_lock_ends_attempts_start_afresh():
    locked = attempts(5)[-1].state
    claim = claim_attempt(locked, locked.locked_until, POLICY)
    assert not claim.refused
    assert claim.state == AttemptState(failures=1, window_start=locked.locked_until)


def test_failures_older_than_the_window_do_not_count():
    four = attempts(4, every=timedelta(minutes=4))[-1].state   # at 0, 4, 8 and 12 minutes
    later = T0 + POLICY.window + timedelta(seconds=1)
    claim = claim_attempt(four, later, POLICY)
    assert not claim.refused and claim.state.failures == 1 and claim.state.locked_until is None


def test_failures_spread_within_the_window_lock():
    claims = attempts(6, every=timedelta(minutes=3))   # the fifth at 12 minutes
    assert claims[5].refused


def test_the_limits_come_from_the_policy():
    strict = LockoutPolicy(max_failures=1, window=timedelta(seconds=10), lock=timedelta(seconds=2))
    first = claim_attempt(AttemptState(), T0, strict)
    assert first.state.locked_until == T0 + timedelta(seconds=2)
    assert claim_attempt(first.state, T0 + timedelta(seconds=1), strict).retry_after_seconds == 1
    assert not claim_attempt(first.state, T0 + timedelta(seconds=2), strict).refused


def test_a_success_is_a_cleared_state():
    # The store deletes the row on success; the next attempt starts from an empty state.
    assert claim_attempt(AttemptState(), T0, POLICY).state.failures == 1


def test_a_spent_state_is_one_claim_attempt_treats_as_none_and_only_those_are_spent():
    states = [AttemptState(), AttemptState(1, T0), AttemptState(4, T0), AttemptState(5, T0, T0 + POLICY.lock)]
    moments = [T0 + timedelta(seconds=s) for s in (0, 60, 899, 900, 901, 1800, 3600)]
    for state in states:
        for now in moments:
            as_none = claim_attempt(state, now, POLICY) == claim_attempt(AttemptState(), now, POLICY)
            if spent(state, now, POLICY):
                assert as_none, (state, now)
            else:  # it still counts: inside its window, or locked
                assert now < state.window_start + POLICY.window or now < state.locked_until, (state, now)
