"""How much load `make bench` sends, from BENCH_* variables: every section reads them here."""
from __future__ import annotations

import os
from pathlib import Path

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "20"))
TOTAL = int(os.environ.get("BENCH_REQUESTS", "5000"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
SHOPPERS = int(os.environ.get("BENCH_SHOPPERS", "8"))
HTTP_SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
WARMUP_SECONDS = 2
LOCUST_USERS = int(os.environ.get("BENCH_LOCUST_USERS", "20"))
LOCUST_SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "30"))
# How long the containers section leaves the shop idle before reading its memory (each side).
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_SECONDS", "30"))

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"  # JSON of each section's rows
