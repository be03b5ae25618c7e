"""The tracing table of `make bench` measures each mode in rounds, off, on, sampled,
sampled, on, off, and makes one row of a mode's rounds: req/s over all of them, p50 and p99
their mean."""
from __future__ import annotations

import pytest

from bench.ghz import Result
from bench.tracing_cost import in_rounds


def test_the_halves_take_turns_and_share_the_amount():
    calls = []

    def measure(stack, amount):
        calls.append((stack, amount))
        return Result("call", 10.0, 1.0, 2.0, 0, 10 * amount)

    in_rounds({"off": "stack-off", "on": "stack-on", "sampled": "stack-sampled"}, measure, 200)
    assert calls == [("stack-off", 100), ("stack-on", 100), ("stack-sampled", 100), ("stack-sampled", 100),
                     ("stack-on", 100), ("stack-off", 100)]


def test_a_modes_rounds_make_one_row_weighted_by_their_time():
    answers = iter([
        Result("PlaceOrder", 50.0, 10.0, 30.0, 0, 100),   # off: 2 s
        Result("PlaceOrder", 25.0, 20.0, 60.0, 1, 100),   # on: 4 s
        Result("PlaceOrder", 40.0, 12.0, 40.0, 0, 100),   # sampled: 2.5 s
        Result("PlaceOrder", 40.0, 14.0, 44.0, 0, 100),   # sampled: 2.5 s
        Result("PlaceOrder", 20.0, 30.0, 80.0, 0, 100),   # on: 5 s
        Result("PlaceOrder", 100.0, 20.0, 50.0, 0, 100),  # off: 1 s
    ])
    rows = in_rounds({"off": None, "on": None, "sampled": None}, lambda stack, amount: next(answers), 200)
    assert rows["off"] == Result("PlaceOrder", pytest.approx(200 / 3), 15.0, 40.0, 0, 200)
    assert rows["on"] == Result("PlaceOrder", pytest.approx(200 / 9), 25.0, 70.0, 1, 200)
    assert rows["sampled"] == Result("PlaceOrder", pytest.approx(40.0), 13.0, 42.0, 0, 200)
