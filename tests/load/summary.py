"""The few lines `make loadtest` prints after locust's own summary: how many users for how
long against which limits, requests, failures and errors in tasks, the p50/p95/p99 of all requests, and the
429 answers by endpoint. Pure."""
from __future__ import annotations

from tests.load.run import Outcome


def summary(outcome: Outcome, *, users: int, seconds: int, limits: str) -> str:
    total = outcome.total
    lines = [f"load test: {users} users (website and API shoppers) for {seconds} s; the shop's limits: {limits}"]
    if total is None:
        lines.append("locust measured nothing (see its output above)")
    else:
        share = 100.0 * total.failures / total.requests if total.requests else 0.0
        lines += [f"requests: {total.requests} ({total.rps:.1f}/s); failures: {total.failures} ({share:.2f}%); "
                  f"errors in shoppers' tasks: {outcome.task_errors}",
                  f"response times, all requests: p50 {total.p50_ms:.0f} ms, p95 {total.p95_ms:.0f} ms, "
                  f"p99 {total.p99_ms:.0f} ms"]
    lines.append(outcome.too_many.line())
    return "\n".join(lines)
