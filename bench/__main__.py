"""`make bench`: catalogservice's GetProduct and ListProducts under concurrency with
ghz, next to a bare grpc.aio server answering an empty RPC in the same run."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.postgres import temporary_cluster
from tests.support.net import free_port, wait_for_port
from tests.support.services import ServiceProcess

from bench import ghz

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench-results"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "20"))
TOTAL = int(os.environ.get("BENCH_REQUESTS", "5000"))


def table(results: list[ghz.Result], baseline: ghz.Result) -> str:
    header = f"{'call':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs bare':>14}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<34} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7} {r.rps / baseline.rps:>14.2f}")
    return "\n".join(lines)


def main() -> int:
    logs = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    bare_port = free_port()
    with contextlib.ExitStack() as cleanup:
        cluster = cleanup.enter_context(temporary_cluster(["catalog"], prefix="shop-bench-pg-"))
        catalog = ServiceProcess("catalogservice", {"DATABASE_URL": cluster.url("catalog"), "LOG_LEVEL": "WARNING"},
                                 logs / "catalog.log").start()
        cleanup.callback(catalog.stop)
        bare = subprocess.Popen([sys.executable, "-m", "bench.bare_server", str(bare_port)], cwd=REPO)
        cleanup.callback(bare.wait)
        cleanup.callback(bare.terminate)
        wait_for_port(bare_port)
        bare_address = f"127.0.0.1:{bare_port}"

        runs = [
            ("bare grpc.aio: Health/Check", bare_address, "grpc.health.v1.Health/Check", {}),
            ("catalog GetProduct", catalog.address, "shop.catalog.v1.CatalogService/GetProduct", {"id": "stoneware-mug"}),
            ("catalog ListProducts (20/page)", catalog.address, "shop.catalog.v1.CatalogService/ListProducts", {"page_size": 20}),
        ]
        for name, address, call, data in runs:  # warm-up: connections, caches, pools
            ghz.run(name, address, call, data, concurrency=CONCURRENCY, total=min(500, TOTAL))
        results = [ghz.run(*run, concurrency=CONCURRENCY, total=TOTAL) for run in runs]
    shutil.rmtree(logs, ignore_errors=True)

    print(f"\ncatalogservice under ghz: {TOTAL} calls per row, concurrency {CONCURRENCY}, {os.cpu_count()} cores, "
          "same run as the baseline\n")
    print(table(results, results[0]))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "catalog.json").write_text(json.dumps([r.__dict__ for r in results], indent=2))
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
