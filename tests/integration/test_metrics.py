"""Every process's /metrics is Prometheus text (parsed by prometheus_client's parser) and
moves when traffic is sent: each service's calls, the website's routes summed over its
gunicorn workers, the consumers' messages, and the cart and order business counters."""
from __future__ import annotations

import concurrent.futures

import grpc
import pytest

from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.email.v1 import email_pb2, email_pb2_grpc
from shop.identity.v1 import identity_pb2, identity_pb2_grpc
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import (DECLINED_CARD, fill_cart, new_shopper, place_request, refusal,
                                                wait_for_status)
from tests.support import metrics
from tests.support.http import request

# One call per service that changes nothing, and the code it is refused with (an unknown
# id, a missing field), so errors are seen counted too.
PROBES = [
    ("catalog_service", catalog_pb2_grpc.CatalogServiceStub, "GetProduct", catalog_pb2.GetProductRequest(id="nope"),
     "NOT_FOUND"),
    ("cart_service", cart_pb2_grpc.CartServiceStub, "GetCart", cart_pb2.GetCartRequest(owner_id=""),
     "INVALID_ARGUMENT"),
    ("checkout_service", checkout_pb2_grpc.CheckoutServiceStub, "GetOrder",
     checkout_pb2.GetOrderRequest(user_id="guest:nobody", order_id="nope"), "NOT_FOUND"),
    ("payment_service", payment_pb2_grpc.PaymentServiceStub, "GetPayment",
     payment_pb2.GetPaymentRequest(payment_id="nope"), "NOT_FOUND"),
    ("shipping_service", shipping_pb2_grpc.ShippingServiceStub, "TrackShipment",
     shipping_pb2.TrackShipmentRequest(tracking_id="nope"), "INVALID_ARGUMENT"),  # not a tracking id's form
    ("email_service", email_pb2_grpc.EmailServiceStub, "GetSentEmail", email_pb2.GetSentEmailRequest(id="nope"),
     "NOT_FOUND"),
    ("identity_service", identity_pb2_grpc.IdentityServiceStub, "GetProfile",
     identity_pb2.GetProfileRequest(user_id="nope"), "NOT_FOUND"),
]


@pytest.mark.parametrize("fixture, stub, method, call, code", PROBES, ids=[p[0] for p in PROBES])
def test_each_service_counts_and_times_its_calls_by_method_and_code(request_fixture, fixture, stub, method, call,
                                                                    code):
    service = request_fixture(fixture)
    counted = dict(grpc_method=method, grpc_code=code)
    before = metrics.value(service.http_url, "grpc_server_handled_total", **counted)
    timed = metrics.value(service.http_url, "grpc_server_handling_seconds_count", grpc_method=method)
    with grpc.insecure_channel(service.address) as channel:
        for _ in range(3):
            with pytest.raises(grpc.RpcError) as refused:
                getattr(stub(channel), method)(call, timeout=5)
            assert refused.value.code().name == code
    # The count is made as the reply leaves, so it may trail the reply by a moment.
    assert metrics.wait_for(service.http_url, "grpc_server_handled_total", before + 3, **counted) == before + 3
    assert metrics.value(service.http_url, "grpc_server_handling_seconds_count", grpc_method=method) == timed + 3
    reply = request("GET", f"{service.http_url}/metrics")
    assert reply.headers["Content-Type"].startswith("text/plain; version="), "the text exposition format"


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_the_website_serves_its_workers_summed_counts_on_its_own_port(website):
    route = dict(method="GET", route="/", status="200")
    before = metrics.value(website.metrics_url, "http_server_requests_total", **route)
    timed = metrics.value(website.metrics_url, "http_server_request_duration_seconds_count", method="GET", route="/")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:  # at once, so both workers answer some
        statuses = list(pool.map(lambda _: request("GET", f"{website.url}/").status, range(24)))
    assert statuses == [200] * 24
    assert metrics.value(website.metrics_url, "http_server_requests_total", **route) == before + 24, \
        "every worker's requests are in the sum"
    assert metrics.value(website.metrics_url, "http_server_request_duration_seconds_count",
                         method="GET", route="/") == timed + 24

    missing = metrics.value(website.metrics_url, "http_server_requests_total", route="unmatched", status="404")
    assert request("GET", f"{website.url}/no/such/page").status == 404
    assert metrics.value(website.metrics_url, "http_server_requests_total", route="unmatched", status="404") \
        == missing + 1, "a page that does not exist is counted under one label, not its path"
    assert request("GET", f"{website.url}/metrics").status == 404, "metrics are not on the public port"


def test_an_order_moves_the_cart_order_and_consumer_counters(catalog_service, cart_service, checkout_service,
                                                              payment_service, catalog_channel, cart_channel,
                                                              checkout_channel):
    product = create_product(catalog_channel, stock=5)
    owner = new_shopper()
    cart, checkout = cart_service.http_url, checkout_service.http_url
    added = metrics.value(cart, "shop_cart_changes_total", operation="add")
    units = metrics.value(cart, "shop_cart_units_added_total")
    subtracted = metrics.value(cart, "shop_cart_changes_total", operation="subtract")
    orders = {status: metrics.value(checkout, "shop_orders_total", status=status)
              for status in ("PLACED", "PAID", "SHIPPED")}
    value = metrics.value(checkout, "shop_order_value_total", currency="USD")
    captures = metrics.value(payment_service.http_url, "messaging_messages_total",
                             queue="payment.checkout-events", outcome="handled")
    handling = metrics.value(payment_service.http_url, "messaging_handling_seconds_count",
                             queue="payment.checkout-events")

    fill_cart(cart_channel, owner, (product.id, 2))
    assert metrics.value(cart, "shop_cart_changes_total", operation="add") == added + 1
    assert metrics.value(cart, "shop_cart_units_added_total") == units + 2
    order = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(place_request(owner), timeout=20).order
    assert metrics.value(checkout, "shop_orders_total", status="PLACED") == orders["PLACED"] + 1
    total = order.total.units + order.total.nanos / 1e9
    assert metrics.value(checkout, "shop_order_value_total", currency="USD") == pytest.approx(value + total)
    assert metrics.value(cart, "shop_cart_changes_total", operation="subtract") == subtracted + 1, \
        "checkout takes the ordered units out of the cart"

    wait_for_status(checkout_channel, owner, order.id, "SHIPPED", timeout=60)
    # The counters of other tests' orders may move too: at least ours is in them.
    metrics.wait_for(checkout, "shop_orders_total", orders["PAID"] + 1, status="PAID")
    metrics.wait_for(checkout, "shop_orders_total", orders["SHIPPED"] + 1, status="SHIPPED")
    metrics.wait_for(payment_service.http_url, "messaging_messages_total", captures + 1,
                     queue="payment.checkout-events", outcome="handled")
    assert metrics.value(payment_service.http_url, "messaging_handling_seconds_count",
                         queue="payment.checkout-events") > handling


def test_a_refused_checkout_is_counted_by_its_reason(checkout_service, catalog_channel, cart_channel, checkout_channel):
    checkout = checkout_service.http_url
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel, stock=5).id, 1))
    declined = metrics.value(checkout, "shop_checkout_refusals_total", reason="CARD_DECLINED")
    with pytest.raises(grpc.RpcError) as refused:
        checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(
            place_request(owner, card=DECLINED_CARD), timeout=20)
    assert refusal(refused.value)[0] == "CARD_DECLINED"
    assert metrics.value(checkout, "shop_checkout_refusals_total", reason="CARD_DECLINED") == declined + 1
