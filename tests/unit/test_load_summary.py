"""What `make loadtest` prints after locust's summary (tests/load/summary.py)."""
from __future__ import annotations

from pathlib import Path

from tests.load.run import AGGREGATED, Outcome, Row
from tests.load.summary import summary
from tests.load.throttling import Tally


def test_the_summary_names_users_time_requests_failures_percentiles_and_429s(tmp_path):
    (tmp_path / "run_exceptions.csv").write_text(
        'Count,Message,Traceback,Nodes\n7,"ConnectionError(...)","...",local\n2,"KeyError(...)","...",local\n')
    tally = Tally()
    tally.count("POST", "/login")
    rows = [Row("GET", "/", 900, 0, 3.0, 20, 90, 400),
            Row("", AGGREGATED, 12000, 3, 40.0, 35, 180, 700.4)]
    text = summary(Outcome(1, rows, "", tmp_path / "run", tally), users=300, seconds=300, limits="loadtest")
    assert text.splitlines() == [
        "load test: 300 users (website and API shoppers) for 300 s; the shop's limits: loadtest",
        "requests: 12000 (40.0/s); failures: 3 (0.03%); errors in shoppers' tasks: 9",
        "response times, all requests: p50 35 ms, p95 180 ms, p99 700 ms",
        "429 answers: 1 (POST /login 1)",
    ]


def test_a_run_that_measured_nothing_says_so():
    text = summary(Outcome(2, [], "boom", Path("x")), users=5, seconds=10, limits="default")
    assert "locust measured nothing" in text and text.endswith("429 answers: 0")
