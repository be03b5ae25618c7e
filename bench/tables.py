"""The table most sections of `make bench` print: rows of calls, each with its req/s and
latency, and its ratio to a row measured in the same run."""
from __future__ import annotations

from typing import Callable

from bench.ghz import Result


def vs_baseline(title: str, results: list[Result], baseline: Result) -> str:
    return _table(title, results, "req/s vs bare", lambda r: r.rps / baseline.rps, width=14)


def vs_p50(title: str, results: list[Result], reference: Result) -> str:
    """Rows beside a reference row's median latency (the same concurrency for all)."""
    label = f"p50 vs {reference.name}"
    return _table(title, results, label, lambda r: r.p50_ms / reference.p50_ms, width=len(label))


def _table(title: str, results: list[Result], label: str, ratio: Callable[[Result], float], *, width: int) -> str:
    header = f"{'call':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {label:>{width}}"
    lines = [title, header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<40} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} "
                     f"{ratio(r):>{width}.2f}")
    return "\n".join(lines)
