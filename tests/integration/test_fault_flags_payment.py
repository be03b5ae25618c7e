"""The payment fault flags against two real paymentservice replicas that watch one flag
file, as every replica of a service does (docs/decisions/0012): a change made with the
operators' command reaches both within 5 seconds, has its documented effect (an outage,
or the issuer declining), shows in /metrics and the log, and ends when it is turned off."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid

import grpc
import pytest
from google.type import money_pb2

from service_runtime.fault_flags import FLAGS_FILE_ENV
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from tests.support import metrics
from tests.support.services import ServiceProcess, wait_until

REACH_SECONDS = 5


@pytest.fixture(scope="module")
def flag_file(tmp_path_factory):
    return tmp_path_factory.mktemp("flags") / "flags.json"


@pytest.fixture(scope="module")
def replicas(postgres, rabbitmq, artifacts_dir, flag_file):
    postgres.create_databases(["payment_flags_test"])
    env = {"DATABASE_URL": postgres.url("payment_flags_test"), "AMQP_URL": rabbitmq.url,
           FLAGS_FILE_ENV: str(flag_file)}
    with ServiceProcess("paymentservice", env, artifacts_dir / "paymentservice-flags-a.log") as first, \
            ServiceProcess("paymentservice", env, artifacts_dir / "paymentservice-flags-b.log") as second:
        yield [first, second]


def flags(flag_file, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "service_runtime.fault_flags", "--file", str(flag_file), *args],
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout


def authorize(replica, number="4242424242424242"):
    with grpc.insecure_channel(replica.address) as channel:
        stub = payment_pb2_grpc.PaymentServiceStub(channel)
        return stub.Authorize(payment_pb2.AuthorizeRequest(
            order_id=f"order-{uuid.uuid4().hex}", amount=money_pb2.Money(currency_code="USD", units=40),
            credit_card=payment_pb2.CreditCard(number=number, cvv="123", expiry_month=12, expiry_year=2031,
                                               holder_name="Ada Lovelace")), timeout=10)


def outcome(replica) -> str:
    """APPROVED, UNAVAILABLE, or the decline reason of one authorization."""
    try:
        authorize(replica)
        return "APPROVED"
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            return "UNAVAILABLE"
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
            return dict(error.trailing_metadata() or ()).get("reason", error.details())
        raise


def reaches_every_replica(replicas, expected: str) -> float:
    """Seconds until every replica's authorization comes out as expected."""
    started = time.monotonic()
    wait_until(lambda: all(outcome(replica) == expected for replica in replicas), REACH_SECONDS,
               f"every replica answering {expected}")
    return time.monotonic() - started


def test_payment_unavailable_reaches_every_replica_and_ends(replicas, flag_file):
    assert all(outcome(replica) == "APPROVED" for replica in replicas)
    assert "paymentUnavailable   ON" in flags(flag_file, "on", "paymentUnavailable")
    reaches_every_replica(replicas, "UNAVAILABLE")
    assert all(metrics.value(replica.http_url, "shop_fault_flag_active", flag="paymentUnavailable") == 1 for replica in replicas)
    with pytest.raises(grpc.RpcError) as refused:
        authorize(replicas[0])
    assert refused.value.details() == "payments are unavailable right now; try again shortly"
    flags(flag_file, "off", "paymentUnavailable")
    reaches_every_replica(replicas, "APPROVED")
    assert all(metrics.value(replica.http_url, "shop_fault_flag_active", flag="paymentUnavailable") == 0 for replica in replicas)
    for replica in replicas:
        assert '"flag": "paymentUnavailable"' in replica.log_text() and "fault flag applied" in replica.log_text()


def test_payment_failure_declines_its_share_with_its_own_reason(replicas, flag_file):
    flags(flag_file, "set", "paymentFailure", "1")
    wait_until(lambda: all(outcome(replica) != "APPROVED" for replica in replicas), REACH_SECONDS,
               "every replica declining")
    with pytest.raises(grpc.RpcError) as declined:
        authorize(replicas[1])
    assert declined.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert declined.value.details() == "The card's issuer did not answer."
    # A test card's own refusal still wins: the issuer is asked only about approvals.
    with pytest.raises(grpc.RpcError) as insufficient:
        authorize(replicas[0], number="4000000000009995")
    assert insufficient.value.details() == "The card has insufficient funds."
    flags(flag_file, "set", "paymentFailure", "0.5")
    # Approvals again on both replicas: the share left 1 (at 0.5, one in 20 tries is sure).
    wait_until(lambda: all(any(outcome(replica) == "APPROVED" for _ in range(20)) for replica in replicas),
               REACH_SECONDS, "every replica approving some")
    seen = [outcome(replicas[n % 2]) for n in range(40)]
    assert 5 <= seen.count("APPROVED") <= 35, seen
    flags(flag_file, "reset")
    # An approval proves nothing at 0.5: wait for the flag itself to be off everywhere.
    wait_until(lambda: all(metrics.value(replica.http_url, "shop_fault_flag_active", flag="paymentFailure") == 0
                           for replica in replicas), REACH_SECONDS, "the flag off in every replica")
    assert all(outcome(replicas[n % 2]) == "APPROVED" for n in range(10))
