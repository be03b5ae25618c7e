"""A page's independent calls made at once: results in order, in the caller's context,
the first failure (in order) raised after every call has finished."""
import contextvars
import threading
import time

import pytest

from frontend.together import together

visitor = contextvars.ContextVar("visitor", default="nobody")


def test_results_come_in_the_order_of_the_calls_and_the_calls_overlap():
    started = time.monotonic()
    results = together(*(lambda n=n: time.sleep(0.2) or n for n in range(5)))
    assert results == [0, 1, 2, 3, 4]
    assert time.monotonic() - started < 0.6, "five 0.2 s calls made one after another would take 1 s"


def test_each_call_sees_the_callers_context_and_runs_beside_it():
    visitor.set("ada")
    seen = together(lambda: (visitor.get(), threading.get_ident()), lambda: (visitor.get(), threading.get_ident()))
    assert [who for who, _ in seen] == ["ada", "ada"]
    assert seen[0][1] == threading.get_ident() and seen[1][1] != threading.get_ident()


def test_the_first_failure_in_order_is_raised_once_every_call_has_finished():
    finished = []

    def slow_then_fails():
        time.sleep(0.2)
        finished.append("slow")
        raise LookupError("second")

    def fails_at_once():
        raise KeyError("third")

    with pytest.raises(LookupError, match="second"):
        together(lambda: "first", slow_then_fails, fails_at_once)
    assert finished == ["slow"]


def test_one_call_or_none_runs_in_this_thread():
    assert together() == []
    assert together(threading.get_ident) == [threading.get_ident()]
