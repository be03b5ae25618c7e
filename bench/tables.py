"""The table most sections of `make bench` print: rows of calls, each with its req/s
beside a baseline's measured in the same run."""
from __future__ import annotations

from bench.ghz import Result


def vs_baseline(title: str, results: list[Result], baseline: Result) -> str:
    header = f"{'call':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs bare':>14}"
    lines = [title, header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<40} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} "
                     f"{r.rps / baseline.rps:>14.2f}")
    return "\n".join(lines)


def vs_p50(title: str, results: list[Result], reference: Result) -> str:
    """Rows beside a reference row's median latency (the same concurrency for all)."""
    label = f"p50 vs {reference.name}"
    header = f"{'call':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {label:>{len(label)}}"
    lines = [title, header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<40} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} "
                     f"{r.p50_ms / reference.p50_ms:>{len(label)}.2f}")
    return "\n".join(lines)
