"""Issue 15's goals, and the table `make bench` ends its measuring sections with: each
measure, its value in this run (and under `make run`'s stack, where the local section
measured it too), the goal, and whether it was met. Goals are reported, never asserted:
a goal missed does not fail the bench (rows with errors do).

The sections hand in their values by key (a dict of key -> float): ratios as plain
numbers, times in seconds, memory in MB. A key a section did not measure shows as "not
run"; NaN (nothing measured, e.g. every call failed) as "no value"."""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Iterable, Mapping

GOAL_RATE = 20.0        # orders/s at which placed -> SHIPPED p99 has a goal; other rates are reported
SHIPPED_P99_GOAL_S = 0.5
IDLE_RSS_GOAL_MB = 80.0  # each service, idle

_COMPARE = {">=": (operator.ge, "≥"), "<=": (operator.le, "≤"), "<": (operator.lt, "<")}
_UNITS = {"x": ("{:.2f}×", "{:g}×"), "s": ("{:.3f} s", "{:g} s"), "MB": ("{:.1f} MB", "{:g} MB")}


@dataclass(frozen=True)
class Goal:
    key: str
    measure: str
    comparison: str | None  # ">=", "<=", "<"; None: reported, with no goal
    bound: float | None
    unit: str               # "x" (a ratio), "s", "MB"

    def met(self, value: float | None) -> bool | None:
        """Whether value meets the goal; None when there is no goal or no value."""
        if self.comparison is None or value is None or math.isnan(value):
            return None
        return _COMPARE[self.comparison][0](value, self.bound)

    def verdict(self, value: float | None) -> str:
        if value is None:
            return "not run"
        if math.isnan(value):
            return "no value"
        met = self.met(value)
        return "reported" if met is None else "met" if met else "NOT MET"

    def goal_text(self) -> str:
        if self.comparison is None:
            return "(report)"
        return f"{_COMPARE[self.comparison][1]} {_UNITS[self.unit][1].format(self.bound)}"

    def value_text(self, value: float | None) -> str:
        if value is None:
            return "-"
        return "n/a" if math.isnan(value) else _UNITS[self.unit][0].format(value)


def ratio(top: float, bottom: float) -> float:
    """top / bottom, NaN ("no value") when bottom measured nothing."""
    return top / bottom if bottom else math.nan


def rate_key(rate: float) -> str:
    return f"shipped_p99_at_{rate:g}"


def issue_15(arrival_rates: Iterable[float]) -> list[Goal]:
    """Issue 15's table, a row per measure (the SHIPPED rows for the rates this run places
    orders at; the goal holds at GOAL_RATE, the others are reported)."""
    ratio = "x"
    rows = [
        Goal("get_product", "catalog GetProduct vs bare grpc.aio (Health/Check), req/s", ">=", 0.7, ratio),
        Goal("list_products", "catalog ListProducts (20/page) vs bare, req/s", ">=", 0.5, ratio),
        Goal("get_cart", "cart GetCart vs bare, req/s", ">=", 0.7, ratio),
        Goal("add_item", "cart AddItem vs bare, req/s", ">=", 0.4, ratio),
        Goal("home_page", "home page vs a bare Flask page, same gunicorn, req/s", ">=", 0.5, ratio),
        Goal("product_page", "product page vs the bare Flask page, req/s", ">=", 0.5, ratio),
        Goal("cart_page", "cart page vs the bare Flask page, req/s", ">=", 0.5, ratio),
        Goal("place_order_p50", "PlaceOrder p50 / GetProduct p50, same concurrency", "<=", 8.0, ratio),
    ]
    for rate in arrival_rates:
        at_goal = rate == GOAL_RATE
        rows.append(Goal(rate_key(rate), f"placed -> SHIPPED p99 at {rate:g} orders/s",
                         "<" if at_goal else None, SHIPPED_P99_GOAL_S if at_goal else None, "s"))
    rows += [
        Goal("tracing_on_home", "tracing on every trace vs off: home page, req/s", ">=", 0.8, ratio),
        Goal("tracing_on_place_order", "tracing on every trace vs off: PlaceOrder, orders/s", ">=", 0.8, ratio),
        Goal("tracing_sampled_home", "tracing on 10 % vs off: home page, req/s", ">=", 0.9, ratio),
        Goal("tracing_sampled_place_order", "tracing on 10 % vs off: PlaceOrder, orders/s", ">=", 0.9, ratio),
        Goal("idle_rss", "idle RSS of the largest service", "<", IDLE_RSS_GOAL_MB, "MB"),
    ]
    return rows


def table(goals: list[Goal], measured: Mapping[str, float], under_make_run: Mapping[str, float]) -> str:
    """The summary; columns for `make run`'s stack only when that section measured something."""
    local = bool(under_make_run)
    header = f"{'measure':<58} {'this run':>10} {'goal':>9} {'verdict':>8}"
    if local:
        header += f" {'make run':>10} {'verdict':>8}"
    title = "issue 15 goals: every value measured in this run, by the bench's own processes"
    if local:
        title += "; 'make run': the same measure under make run's stack (python -m bench local), for the gap"
    lines = [title, header, "-" * len(header)]
    for goal in goals:
        value = measured.get(goal.key)
        line = f"{goal.measure:<58} {goal.value_text(value):>10} {goal.goal_text():>9} {goal.verdict(value):>8}"
        if local:
            there = under_make_run.get(goal.key)
            line += f" {goal.value_text(there):>10} {goal.verdict(there) if there is not None else '':>8}"
        lines.append(line.rstrip())
    return "\n".join(lines)
