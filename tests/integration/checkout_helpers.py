"""Builders shared by the checkout tests: a shopper with a filled cart, a checkout
request, and waiting for an order's status."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import grpc
import psycopg
from google.rpc import error_details_pb2, status_pb2

from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.payment.v1 import payment_pb2
from shop.shipping.v1 import shipping_pb2
from tests.support.services import wait_until

# paymentservice's documented test cards (paymentservice/README.md).
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
INSUFFICIENT_FUNDS_CARD = "4000 0000 0000 9995"
CAPTURE_FAILS_CARD = "4000 0000 0000 0341"

ADDRESS = shipping_pb2.Address(name="Ada Lovelace", address_lines=["12 St James's Square"], city="Boston",
                               region="MA", postal_code="02108", country_code="US")


@contextmanager
def shipping_midway(postgres):
    """shippingservice's event handler waits, mid-way, until the block ends."""
    with psycopg.connect(postgres.url("shipping_test")) as hold:
        hold.execute("LOCK TABLE processed_events IN EXCLUSIVE MODE")
        yield


def new_shopper() -> str:
    return f"guest:{uuid.uuid4()}"


def fill_cart(cart_channel, owner: str, *lines: tuple[str, int]) -> None:
    stub = cart_pb2_grpc.CartServiceStub(cart_channel)
    for product_id, quantity in lines:
        stub.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=product_id, quantity=quantity), timeout=5)


def place_request(owner: str, *, card: str = GOOD_CARD, currency: str = "USD", email: str = "ada@example.com",
                  address: shipping_pb2.Address = ADDRESS, request_id: str = "") -> checkout_pb2.PlaceOrderRequest:
    return checkout_pb2.PlaceOrderRequest(
        user_id=owner, currency_code=currency, address=address, email=email, request_id=request_id,
        credit_card=payment_pb2.CreditCard(number=card, cvv="123", expiry_month=12, expiry_year=2031,
                                           holder_name="Ada Lovelace"),
    )


def refusal(error: grpc.RpcError) -> tuple[str, dict, str]:
    """(ErrorInfo reason, its metadata, BadRequest field) of a failed call."""
    reason, metadata, field = "", {}, ""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    reason, metadata = info.reason, dict(info.metadata)
                elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    field = bad.field_violations[0].field
    return reason, metadata, field


def stock_of(catalog_channel, product_id: str) -> int:
    stub = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    return stub.GetProduct(catalog_pb2.GetProductRequest(id=product_id), timeout=5).product.stock


def wait_for_status(checkout_channel, owner: str, order_id: str, status: str, timeout: float = 30):
    stub = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)
    wanted = checkout_pb2.OrderStatus.Value(f"ORDER_STATUS_{status}")

    def reached():
        order = stub.GetOrder(checkout_pb2.GetOrderRequest(user_id=owner, order_id=order_id), timeout=5).order
        return order if order.status == wanted else None

    return wait_until(reached, timeout, f"order {order_id} reaching {status}", interval=0.1)
