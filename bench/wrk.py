"""HTTP load with wrk (Debian's package), read through bench/wrk_report.lua. Rows come out as
ghz.Result so both kinds of table print alike. Non-2xx/3xx answers count as errors."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench.ghz import Result

REPORT = Path(__file__).with_name("wrk_report.lua")


def run(name: str, url: str, *, headers: dict[str, str] | None = None, connections: int, seconds: int,
        threads: int = 2) -> Result:
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    argv = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", str(REPORT), url]
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    errors = sum(report[k] for k in ("connect", "read", "write", "status", "timeout"))
    rps = report["requests"] / (report["duration_us"] / 1e6)
    return Result(name, rps, report["p50_us"] / 1000, report["p99_us"] / 1000, errors, report["requests"])
