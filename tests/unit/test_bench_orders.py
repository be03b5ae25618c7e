"""The order rows of `make bench`: the open loop's schedule, PlaceOrder's ghz call data
(each call the cart of its own request number), and the idle-memory pick."""
from __future__ import annotations

import pytest

from bench.arrivals import schedule
from bench.memory import largest
from bench.orders import owners, place_order_data


def test_orders_arrive_evenly_at_the_rate_for_the_whole_time():
    due = schedule(20, 10)
    assert len(due) == 200
    assert due[:3] == pytest.approx([0.0, 0.05, 0.1])
    assert due[-1] == pytest.approx(9.95)


def test_each_ghz_call_orders_the_cart_of_its_request_number():
    data = place_order_data("bench-order-ab12:")
    assert data["user_id"] == "bench-order-ab12:{{.RequestNumber}}"
    assert data["address"]["address_lines"] == ["1 Load Street"] and data["credit_card"]["cvv"] == "123"
    # Whether ghz counts from 0 or 1, every call finds a filled cart.
    assert owners("p:", 3) == ["p:0", "p:1", "p:2", "p:3"]


def test_the_largest_reading_names_its_process():
    assert largest({"cartservice": 40.0, "catalogservice": 62.5}, {"catalogservice": 70.1}) == ("catalogservice", 70.1)
    assert largest({}, {}) is None
