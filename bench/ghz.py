"""Running ghz and reading its JSON report."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from tests.support.tools import tool


@dataclass(frozen=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    count: int


def _percentile(report: dict, wanted: int) -> float:
    for entry in report.get("latencyDistribution") or []:
        if entry["percentage"] == wanted:
            return entry["latency"] / 1e6  # ns -> ms
    raise ValueError(f"ghz report has no p{wanted}")


def run(name: str, address: str, call: str, data: dict, *, concurrency: int, total: int) -> Result:
    argv = [tool("ghz"), "--insecure", "--call", call, "-d", json.dumps(data),
            "-c", str(concurrency), "-n", str(total), "--connections", "2", "--format", "json", address]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True).stdout
    report = json.loads(out)
    errors = sum(n for code, n in (report.get("statusCodeDistribution") or {}).items() if code != "OK")
    return Result(name, report["rps"], _percentile(report, 50), _percentile(report, 99), errors, report["count"])


def run_warmed(runs: list[tuple[str, str, str, dict]], *, concurrency: int, total: int,
               warmup: int = 500) -> list[Result]:
    """Each (name, address, call, data) run for total calls, after every one of them ran
    min(warmup, total) calls first (connections, caches, pools)."""
    for name, address, call, data in runs:
        run(name, address, call, data, concurrency=concurrency, total=min(warmup, total))
    return [run(*each, concurrency=concurrency, total=total) for each in runs]
