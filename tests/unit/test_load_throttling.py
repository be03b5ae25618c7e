"""The load test's handling of 429 answers (tests/load/throttling.py): how long each kind of
429 the shop gives asks a shopper to wait, and the tally by endpoint that the run reports."""
from __future__ import annotations

import json
from email.utils import format_datetime
from datetime import datetime, timezone

from tests.load import throttling
from tests.load.throttling import Tally, retry_after_seconds

NOW = 1_700_000_000.0


def identity_error(seconds: str) -> dict:
    """identityservice's sign-in limit as its HTTP facade answers it."""
    return {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "too many sign-in attempts",
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TOO_MANY_REQUESTS",
                                   "metadata": {"retry_after_seconds": seconds}}]}}


def test_the_websites_retry_after_header_in_seconds_is_honoured():
    assert retry_after_seconds({"Retry-After": "7"}, "<html>", NOW) == 7


def test_a_retry_after_given_as_a_date_counts_from_now():
    when = format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), usegmt=True)
    assert retry_after_seconds({"Retry-After": when}, "", NOW) == 30
    past = format_datetime(datetime.fromtimestamp(NOW - 30, timezone.utc), usegmt=True)
    assert retry_after_seconds({"Retry-After": past}, "", NOW) == 0


def test_the_apis_sign_in_limit_is_read_from_the_error_the_gateways_signer_wrapped():
    wrapped = {"error_identity": {"http_status_code": 429, "http_body": json.dumps(identity_error("12"))}}
    assert retry_after_seconds({}, json.dumps(wrapped), NOW) == 12


def test_a_services_own_error_body_says_how_long_too():
    assert retry_after_seconds({}, json.dumps(identity_error("3")), NOW) == 3


def test_the_header_wins_over_the_body():
    assert retry_after_seconds({"Retry-After": "2"}, json.dumps(identity_error("40")), NOW) == 2


def test_the_gateways_own_empty_429_waits_a_second():
    assert retry_after_seconds({}, "", NOW) == throttling.DEFAULT_WAIT_SECONDS == 1.0


def test_unreadable_hints_fall_back_to_the_default():
    assert retry_after_seconds({"Retry-After": "soon"}, "not json", NOW) == 1.0
    assert retry_after_seconds({}, json.dumps(identity_error("soon")), NOW) == 1.0
    assert retry_after_seconds({}, json.dumps(["error"]), NOW, default=5) == 5


def test_the_tally_counts_by_request_and_lists_the_most_first():
    tally = Tally()
    assert tally.line() == "429 answers: 0"
    for method, name in [("POST", "/login"), ("POST", "/api/v1/users"), ("POST", "/login")]:
        tally.count(method, name)
    assert tally.total == 3
    assert tally.line() == "429 answers: 3 (POST /login 2, POST /api/v1/users 1)"


def test_the_tally_survives_its_csv(tmp_path):
    tally = Tally()
    tally.count("POST", "/api/v1/login")
    tally.count("GET", "/search?q=[words]")
    tally.count("POST", "/api/v1/login")
    path = throttling.csv_path(tmp_path / "run")
    assert path.name == "run_429.csv"
    tally.write_csv(path)
    assert Tally.read_csv(path).counts == {("POST", "/api/v1/login"): 2, ("GET", "/search?q=[words]"): 1}
