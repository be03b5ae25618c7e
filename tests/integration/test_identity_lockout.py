"""Sign-in failures over a real gRPC channel: an unknown email and a wrong password are
indistinguishable; 5 failures lock the address (the session's service locks for 2
seconds), whether or not an account has it; concurrent attempts are counted exactly."""
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

from service_runtime.status_details import reason_of
from tests.support.identity import LOGIN_LOCK_SECONDS, LOGIN_MAX_FAILURES, refused, register, sign_in, unique_email

CODE = grpc.StatusCode
WRONG = "wrong-password-1"


def fail(channel, email, password=WRONG) -> grpc.RpcError:
    return refused(sign_in, channel, email, password)


def assert_locked(error: grpc.RpcError) -> int:
    assert error.code() == CODE.RESOURCE_EXHAUSTED
    reason, metadata = reason_of(error)
    assert reason == "TOO_MANY_ATTEMPTS"
    retry_after = int(metadata["retry_after_seconds"])
    assert 1 <= retry_after <= LOGIN_LOCK_SECONDS
    assert error.details() == ("too many failed sign-in attempts for this email address; "
                               f"try again in {retry_after} seconds")
    return retry_after


def timed_failure(channel, email) -> tuple[grpc.RpcError, float]:
    started = time.perf_counter()
    error = fail(channel, email)
    return error, time.perf_counter() - started


def test_an_unknown_email_and_a_wrong_password_look_the_same(identity_channel):
    user = register(identity_channel)
    wrong = [timed_failure(identity_channel, user.email) for _ in range(3)]
    unknown = [timed_failure(identity_channel, unique_email("nobody")) for _ in range(3)]
    for error, _ in wrong + unknown:
        assert (error.code(), error.details()) == (CODE.UNAUTHENTICATED, "invalid email or password")
        assert reason_of(error) == ("", {})
    # Both verify one argon2 hash (~100 ms); without the dummy hash an unknown email would
    # answer in a few milliseconds.
    wrong_time = statistics.median(t for _, t in wrong)
    unknown_time = statistics.median(t for _, t in unknown)
    assert unknown_time > 0.5 * wrong_time, (unknown_time, wrong_time)


def test_five_failures_lock_the_address_even_for_the_right_password_until_the_lock_ends(identity_channel):
    user = register(identity_channel)
    for _ in range(LOGIN_MAX_FAILURES):
        assert fail(identity_channel, user.email).code() == CODE.UNAUTHENTICATED
    retry_after = assert_locked(fail(identity_channel, user.email.upper(), password="a-long-Passphrase-42"))
    time.sleep(retry_after)
    assert sign_in(identity_channel, user.email).user.id == user.id


def test_an_address_without_an_account_locks_the_same_way(identity_channel):
    email = unique_email("ghost")
    for _ in range(LOGIN_MAX_FAILURES):
        assert fail(identity_channel, email).code() == CODE.UNAUTHENTICATED
    assert_locked(fail(identity_channel, email))


def test_a_success_clears_the_count(identity_channel):
    user = register(identity_channel)
    for _ in range(LOGIN_MAX_FAILURES - 1):
        fail(identity_channel, user.email)
    sign_in(identity_channel, user.email)
    for _ in range(LOGIN_MAX_FAILURES):
        assert fail(identity_channel, user.email).code() == CODE.UNAUTHENTICATED
    assert_locked(fail(identity_channel, user.email))


def concurrently(channel, email, count: int) -> list[grpc.StatusCode]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: fail(channel, email).code(), range(count)))


def test_concurrent_failures_are_each_counted(identity_channel):
    user = register(identity_channel)
    assert concurrently(identity_channel, user.email, LOGIN_MAX_FAILURES - 1) == [CODE.UNAUTHENTICATED] * (LOGIN_MAX_FAILURES - 1)
    assert fail(identity_channel, user.email).code() == CODE.UNAUTHENTICATED   # the fifth
    assert_locked(fail(identity_channel, user.email, password="a-long-Passphrase-42"))


def test_a_burst_of_guesses_gets_exactly_five_checked(identity_channel):
    codes = concurrently(identity_channel, unique_email("burst"), 12)
    assert codes.count(CODE.UNAUTHENTICATED) == LOGIN_MAX_FAILURES
    assert codes.count(CODE.RESOURCE_EXHAUSTED) == 12 - LOGIN_MAX_FAILURES
