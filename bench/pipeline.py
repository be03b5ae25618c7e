"""The whole pipeline under load: orders per second through PlaceOrder with every
service and consumer running, and the time from PlaceOrder returning to the order
reaching SHIPPED (through capture, the outbox relays and three consumers)."""
from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from google.protobuf.field_mask_pb2 import FieldMask

from bench.percentiles import percentile
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.payment.v1 import payment_pb2
from shop.shipping.v1 import shipping_pb2

ADDRESS = shipping_pb2.Address(name="Bench Shopper", address_lines=["1 Load Street"], city="Boston", region="MA",
                               postal_code="02108", country_code="US")
CARD = payment_pb2.CreditCard(number="4242424242424242", cvv="123", expiry_month=12, expiry_year=2031,
                              holder_name="Bench Shopper")
SHIPPED = checkout_pb2.ORDER_STATUS_SHIPPED
PRODUCT = "stoneware-mug"  # what every shopper buys


@dataclass(frozen=True)
class PipelineResult:
    orders: int
    failures: int
    seconds: float
    place_p50_ms: float
    place_p99_ms: float
    to_shipped_p50_ms: float
    to_shipped_p99_ms: float

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds


def stock_up(catalog_address: str) -> None:
    """Enough stock of PRODUCT for every order a run places."""
    with grpc.insecure_channel(catalog_address) as channel:
        catalog_pb2_grpc.CatalogServiceStub(channel).UpdateProduct(catalog_pb2.UpdateProductRequest(
            product=catalog_pb2.Product(id=PRODUCT, stock=1_000_000), update_mask=FieldMask(paths=["stock"])),
            timeout=10)


def run(cart_address: str, checkout_address: str, *, orders: int, concurrency: int,
        timeout: float = 120.0) -> PipelineResult:
    cart_channel, checkout_channel = grpc.insecure_channel(cart_address), grpc.insecure_channel(checkout_address)
    cart = cart_pb2_grpc.CartServiceStub(cart_channel)
    checkout = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)
    placed_at: dict[str, tuple[str, float]] = {}
    place_ms: list[float] = []
    failures = 0
    lock = threading.Lock()

    def shop(_):
        nonlocal failures
        owner = f"guest:{uuid.uuid4()}"
        cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=PRODUCT, quantity=1), timeout=10)
        started = time.perf_counter()
        try:
            order = checkout.PlaceOrder(checkout_pb2.PlaceOrderRequest(
                user_id=owner, currency_code="USD", address=ADDRESS, email="bench@example.com", credit_card=CARD),
                timeout=30).order
        except grpc.RpcError:
            with lock:
                failures += 1
            return
        with lock:
            place_ms.append((time.perf_counter() - started) * 1000)
            placed_at[order.id] = (owner, time.time())  # wall clock, as checkout's ship_time is

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(shop, range(orders)))
    elapsed = time.perf_counter() - began

    shipped_ms, unshipped = wait_until_shipped(checkout, placed_at, timeout)
    cart_channel.close()
    checkout_channel.close()
    return PipelineResult(
        orders=len(placed_at), failures=failures + unshipped, seconds=elapsed,
        place_p50_ms=percentile(place_ms, 50), place_p99_ms=percentile(place_ms, 99),
        to_shipped_p50_ms=percentile(shipped_ms, 50), to_shipped_p99_ms=percentile(shipped_ms, 99),
    )


def wait_until_shipped(checkout: checkout_pb2_grpc.CheckoutServiceStub, placed_at: dict[str, tuple[str, float]],
                       timeout: float) -> tuple[list[float], int]:
    """The ms from each order's PlaceOrder returning (placed_at: order id -> (owner, wall
    clock time)) to its SHIPPED, and how many were not SHIPPED within timeout. Read from
    checkout's ship_time, so how often this polls changes nothing but the load."""
    shipped_ms: list[float] = []
    pending = dict(placed_at)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for order_id, (owner, returned) in list(pending.items()):
            status = checkout.GetOrder(checkout_pb2.GetOrderRequest(user_id=owner, order_id=order_id), timeout=5).order
            if status.status == SHIPPED:
                # ship_time: when checkout applied OrderShipped (same machine, same clock).
                shipped_ms.append((status.ship_time.ToNanoseconds() / 1e9 - returned) * 1000)
                del pending[order_id]
        time.sleep(0.05)
    return shipped_ms, len(pending)


def table(result: PipelineResult) -> str:
    lines = [
        f"{'orders':>7} {'failed':>7} {'orders/s':>9} {'PlaceOrder p50':>15} {'p99':>8} {'to SHIPPED p50':>15} {'p99':>8}",
        f"{result.orders:>7} {result.failures:>7} {result.orders_per_second:>9.1f} {result.place_p50_ms:>12.0f} ms "
        f"{result.place_p99_ms:>5.0f} ms {result.to_shipped_p50_ms:>12.0f} ms {result.to_shipped_p99_ms:>5.0f} ms",
    ]
    return "\n".join(lines)
