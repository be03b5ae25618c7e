"""The order pipeline at a fixed arrival rate (open loop): orders are placed at `rate` per
second whatever the shop's answers, as real shoppers arrive, for `seconds`; then the time
from each PlaceOrder returning to the order reaching SHIPPED, as bench/pipeline.py reads
it (checkout's ship_time). Closed-loop shoppers (bench/pipeline.py) slow down with the
shop and so hide a queue; a fixed rate shows it.

Every order's cart is filled before the clock starts, so an arrival is PlaceOrder alone.
Calls go out asynchronously (the stub's futures) at their due time; PlaceOrder's latency
counts from that due time, so a sender running late would show, not hide, the wait."""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import grpc

from bench import orders, pipeline
from bench.percentiles import percentile
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc

START_DELAY = 0.2  # s between the schedule's making and its first arrival


@dataclass(frozen=True)
class RateResult:
    offered_rate: float       # orders/s asked for
    seconds: float            # how long orders kept arriving
    orders: int               # placed (PlaceOrder returned an order)
    failures: int             # PlaceOrder errors, and orders not SHIPPED in time
    achieved_rate: float      # placed / (first due time .. last PlaceOrder answer, + one interval)
    late_ms: float            # the most a call went out after its due time
    place_p50_ms: float
    place_p99_ms: float
    to_shipped_p50_ms: float
    to_shipped_p99_ms: float


def schedule(rate: float, seconds: float) -> list[float]:
    """The due times, in s from the start, of the orders placed at rate for seconds."""
    return [number / rate for number in range(round(rate * seconds))]


def run(cart_address: str, checkout_address: str, *, rate: float, seconds: float,
        timeout: float = 120.0) -> RateResult:
    due_times = schedule(rate, seconds)
    prefix = f"bench-arrival-{uuid.uuid4().hex[:8]}:"
    owners = [f"{prefix}{number}" for number in range(len(due_times))]
    orders.fill_carts(cart_address, owners)
    channel = grpc.insecure_channel(checkout_address)
    checkout = checkout_pb2_grpc.CheckoutServiceStub(channel)
    lock = threading.Lock()
    answered = threading.Condition(lock)
    placed_at: dict[str, tuple[str, float]] = {}
    place_ms: list[float] = []
    failures = answers = 0
    last_answer = 0.0

    def on_answer(owner: str, due: float, call: grpc.Future) -> None:
        nonlocal failures, answers, last_answer
        now, wall = time.perf_counter(), time.time()  # wall clock, as checkout's ship_time is
        with answered:
            answers += 1
            last_answer = max(last_answer, now)
            if call.exception() is None:
                place_ms.append((now - due) * 1000)
                placed_at[call.result().order.id] = (owner, wall)
            else:
                failures += 1
            answered.notify_all()

    late = 0.0
    start = time.perf_counter() + START_DELAY
    for owner, offset in zip(owners, due_times):
        due = start + offset
        time.sleep(max(0.0, due - time.perf_counter()))
        late = max(late, time.perf_counter() - due)
        call = checkout.PlaceOrder.future(checkout_pb2.PlaceOrderRequest(
            user_id=owner, currency_code="USD", address=pipeline.ADDRESS, email="bench@example.com",
            credit_card=pipeline.CARD), timeout=30)
        call.add_done_callback(lambda done, owner=owner, due=due: on_answer(owner, due, done))
    with answered:
        answered.wait_for(lambda: answers == len(owners), timeout=60)
        # Each arrival owns 1/rate of the time: n orders placed as asked, answered at once, make rate.
        placed, failed, elapsed = dict(placed_at), failures + len(owners) - answers, last_answer - start + 1 / rate
    shipped_ms, unshipped = pipeline.wait_until_shipped(checkout, placed, timeout)
    channel.close()
    return RateResult(
        offered_rate=rate, seconds=seconds, orders=len(placed), failures=failed + unshipped,
        achieved_rate=len(placed) / elapsed if elapsed > 0 else 0.0, late_ms=late * 1000,
        place_p50_ms=percentile(place_ms, 50), place_p99_ms=percentile(place_ms, 99),
        to_shipped_p50_ms=percentile(shipped_ms, 50), to_shipped_p99_ms=percentile(shipped_ms, 99))


def table(results: list[RateResult]) -> str:
    header = (f"{'orders/s asked':>14} {'achieved':>9} {'orders':>7} {'failed':>7} {'late ms':>8} "
              f"{'PlaceOrder p50':>15} {'p99':>8} {'to SHIPPED p50':>15} {'p99':>8}")
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.offered_rate:>14.0f} {r.achieved_rate:>9.1f} {r.orders:>7} {r.failures:>7} "
                     f"{r.late_ms:>8.0f} {r.place_p50_ms:>12.0f} ms {r.place_p99_ms:>5.0f} ms "
                     f"{r.to_shipped_p50_ms:>12.0f} ms {r.to_shipped_p99_ms:>5.0f} ms")
    return "\n".join(lines)
