"""A raw Redis round trip with redis-benchmark, the floor under every cart call."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

from bench.ghz import Result


def run(name: str, port: int, command: str, *, concurrency: int, total: int) -> Result:
    binary = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
    out = subprocess.run(
        [binary, "-h", "127.0.0.1", "-p", str(port), "-c", str(concurrency), "-n", str(total), "-t", command, "--csv"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    row = next(csv.DictReader(io.StringIO(out)))
    return Result(name, float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"]), 0, total)
