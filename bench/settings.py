"""How much load `make bench` sends, from BENCH_* variables: every section reads them here."""
from __future__ import annotations

import os
from pathlib import Path

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "20"))
TOTAL = int(os.environ.get("BENCH_REQUESTS", "5000"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
SHOPPERS = int(os.environ.get("BENCH_SHOPPERS", "8"))
# PlaceOrder through ghz, each call with a cart of its own, at CONCURRENCY like GetProduct.
PLACE_ORDER_CALLS = int(os.environ.get("BENCH_PLACE_ORDER_CALLS", "500"))
# Orders placed at fixed rates (open loop), each rate for ARRIVAL_SECONDS.
ARRIVAL_RATES = tuple(float(rate) for rate in os.environ.get("BENCH_ARRIVAL_RATES", "20,40").split(","))
ARRIVAL_SECONDS = int(os.environ.get("BENCH_ARRIVAL_SECONDS", "10"))
HTTP_SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
WARMUP_SECONDS = 2
LOCUST_USERS = int(os.environ.get("BENCH_LOCUST_USERS", "20"))
LOCUST_SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "30"))
# How long the containers section leaves the shop idle before reading its memory (each side).
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_SECONDS", "30"))
# How long the services section leaves its services idle before reading their memory.
MEMORY_IDLE_SECONDS = int(os.environ.get("BENCH_MEMORY_IDLE_SECONDS", "5"))
# How long the local section waits for `python -m devstack run` to answer everywhere.
LOCAL_START_SECONDS = int(os.environ.get("BENCH_LOCAL_START_SECONDS", "240"))

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"  # JSON of each section's rows
