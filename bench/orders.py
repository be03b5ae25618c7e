"""checkout PlaceOrder as a ghz row, beside GetProduct at the same concurrency: every call
orders a cart of its own, filled beforehand (one line of bench/pipeline.py's PRODUCT), with
the pipeline's address and test card. The catalog must hold enough stock
(pipeline.stock_up)."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import grpc
from google.protobuf.json_format import MessageToDict

from bench import ghz, pipeline
from shop.cart.v1 import cart_pb2, cart_pb2_grpc

PLACE_ORDER = "shop.checkout.v1.CheckoutService/PlaceOrder"
WARMUP_CALLS = 100
FILLERS = 8  # threads filling carts


def owners(prefix: str, count: int) -> list[str]:
    """The cart owners of a run of count calls: ghz numbers a run's calls from 0 (one more
    than count, in case a ghz numbers them from 1)."""
    return [f"{prefix}{number}" for number in range(count + 1)]


def place_order_data(prefix: str) -> dict:
    """ghz's call data: each call the cart of prefix + its request number."""
    return {"user_id": prefix + "{{.RequestNumber}}", "currency_code": "USD", "email": "bench@example.com",
            "address": MessageToDict(pipeline.ADDRESS, preserving_proto_field_name=True),
            "credit_card": MessageToDict(pipeline.CARD, preserving_proto_field_name=True)}


def fill_carts(cart_address: str, cart_owners: Sequence[str]) -> None:
    """One PRODUCT in each owner's cart."""
    with grpc.insecure_channel(cart_address) as channel:
        stub = cart_pb2_grpc.CartServiceStub(channel)

        def fill(owner: str) -> None:
            stub.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=pipeline.PRODUCT, quantity=1), timeout=10)

        with ThreadPoolExecutor(FILLERS) as pool:
            list(pool.map(fill, cart_owners))


def run(name: str, cart_address: str, checkout_address: str, *, concurrency: int, total: int,
        warmup: int = WARMUP_CALLS) -> ghz.Result:
    """total PlaceOrder calls at concurrency, after warmup calls of the same; every call's
    cart is filled before its run starts, so the row times PlaceOrder alone."""
    result = None
    for count in [min(warmup, total)] * (warmup > 0) + [total]:
        prefix = f"bench-order-{uuid.uuid4().hex[:8]}:"
        fill_carts(cart_address, owners(prefix, count))
        result = ghz.run(name, checkout_address, PLACE_ORDER, place_order_data(prefix), concurrency=concurrency,
                         total=count)
    return result
