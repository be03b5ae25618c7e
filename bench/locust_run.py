"""The end-to-end table of `make bench`: each locust mix of tests/load (the website's
shoppers, the API's clients) on its own, against the website and gateway the other tables
measured, with the mixes' own pacing (LOADTEST_WAIT, 1 to 3 s between tasks)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf.field_mask_pb2 import FieldMask

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.load import products
from tests.load.run import run_locust

MIXES = (("website shoppers (HTML, forms, checkout)", "WebsiteShopper"),
         ("API clients through KrakenD (JWT, cart, orders)", "ApiShopper"))


@dataclass(frozen=True)
class MixResult:
    name: str
    users: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    failures: int


def restock(catalog_address: str) -> None:
    """Stock enough of what the shoppers buy that no checkout meets an empty shelf."""
    with grpc.insecure_channel(catalog_address) as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        for product_id in products.chosen():
            stub.UpdateProduct(catalog_pb2.UpdateProductRequest(
                product=catalog_pb2.Product(id=product_id, stock=1_000_000), update_mask=FieldMask(paths=["stock"])),
                timeout=10)


def run(web_url: str, api_url: str, catalog_address: str, *, users: int, seconds: int, out_dir: Path) -> list[MixResult]:
    restock(catalog_address)
    results = []
    for title, user_class in MIXES:
        outcome = run_locust([user_class], count=users, seconds=seconds, spawn_rate=max(users / 4, 1),
                             csv_prefix=out_dir / user_class, web_host=web_url, api_host=api_url)
        total = outcome.total
        if total is None:
            raise RuntimeError(f"locust ({user_class}) measured nothing:\n{outcome.output[-3000:]}")
        results.append(MixResult(title, users, total.rps, total.p50_ms, total.p95_ms, total.p99_ms, total.requests,
                                 total.failures))
    return results


def table(results: list[MixResult]) -> str:
    header = (f"{'mix':<48} {'users':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'requests':>9} "
              f"{'failures':>9}")
    lines = [f"end to end with locust: each mix alone, {os.cpu_count()} cores, locust in one process beside the shop",
             header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<48} {r.users:>6} {r.rps:>8.1f} {r.p50_ms:>8.0f} {r.p95_ms:>8.0f} {r.p99_ms:>8.0f} "
                     f"{r.requests:>9} {r.failures:>9}")
    return "\n".join(lines)
