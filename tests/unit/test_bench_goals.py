"""Issue 15's summary table in `make bench`: each goal is met, not met, only reported, or
not run, from the values the sections measured; a missed goal is reported, not raised."""
from __future__ import annotations

import math

from bench.goals import Goal, issue_15, rate_key, table


def test_an_at_least_goal_is_met_at_its_bound_and_above():
    goal = Goal("get_product", "GetProduct vs bare", ">=", 0.7, "x")
    assert goal.verdict(0.7) == "met"
    assert goal.verdict(0.93) == "met"
    assert goal.verdict(0.69) == "NOT MET"


def test_an_at_most_goal_is_met_at_its_bound_and_below():
    goal = Goal("place_order_p50", "PlaceOrder p50 / GetProduct p50", "<=", 8.0, "x")
    assert goal.verdict(8.0) == "met"
    assert goal.verdict(8.01) == "NOT MET"


def test_a_strictly_below_goal_is_not_met_at_its_bound():
    goal = Goal("shipped", "placed -> SHIPPED p99", "<", 0.5, "s")
    assert goal.verdict(0.499) == "met"
    assert goal.verdict(0.5) == "NOT MET"


def test_a_value_with_no_goal_is_reported_and_a_missing_one_not_run():
    reported = Goal("shipped_p99_at_40", "placed -> SHIPPED p99 at 40 orders/s", None, None, "s")
    assert reported.verdict(1.7) == "reported"
    assert reported.met(1.7) is None
    assert reported.verdict(None) == "not run"
    assert Goal("k", "m", ">=", 0.7, "x").verdict(math.nan) == "no value"


def test_only_the_goal_rate_has_a_shipped_goal():
    rows = {goal.key: goal for goal in issue_15([20, 40])}
    assert rows[rate_key(20)].goal_text() == "< 0.5 s"
    assert rows[rate_key(40)].goal_text() == "(report)"


def test_the_issue_table_has_every_measure_once():
    keys = [goal.key for goal in issue_15([20, 40])]
    assert len(keys) == len(set(keys))
    assert {"get_product", "list_products", "get_cart", "add_item", "home_page", "product_page", "cart_page",
            "place_order_p50", "tracing_on_home", "tracing_on_place_order", "tracing_sampled_home",
            "tracing_sampled_place_order", "idle_rss"} <= set(keys)


def test_the_table_shows_values_goals_and_verdicts_and_the_make_run_columns_only_when_measured():
    goals = [Goal("get_product", "catalog GetProduct vs bare", ">=", 0.7, "x"),
             Goal("idle_rss", "idle RSS of the largest service", "<", 80.0, "MB"),
             Goal("tracing_on_home", "tracing on vs off: home page", ">=", 0.8, "x")]
    lines = table(goals, {"get_product": 0.534, "idle_rss": 61.24}, {}).splitlines()
    assert "make run" not in lines[1]
    assert lines[3].split()[-5:] == ["0.53×", "≥", "0.7×", "NOT", "MET"]
    assert "61.2 MB" in lines[4] and lines[4].endswith("met")
    assert lines[5].endswith("not run")
    with_local = table(goals, {"get_product": 0.534}, {"get_product": 0.71}).splitlines()
    assert "make run" in with_local[1]
    assert with_local[3].split()[-7:] == ["0.53×", "≥", "0.7×", "NOT", "MET", "0.71×", "met"]
    assert with_local[4].split()[-6:] == ["<", "80", "MB", "not", "run", "-"]  # nothing under make run, no verdict
