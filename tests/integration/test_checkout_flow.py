"""Checkout and the event pipeline over real gRPC, PostgreSQL, Redis and RabbitMQ, with
every service a real process: an order goes from the cart to SHIPPED, every refusal
leaves nothing behind, and cancellations give everything back."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import psycopg

from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, currency_pb2, currency_pb2_grpc
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.email.v1 import email_pb2, email_pb2_grpc
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from shop.shipping.v1 import shipping_pb2
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import (
    CAPTURE_FAILS_CARD, DECLINED_CARD, INSUFFICIENT_FUNDS_CARD, fill_cart, new_shopper, place_request, refusal,
    stock_of, wait_for_status,
)
from tests.support.http import request
from tests.support.services import wait_until


@pytest.fixture
def checkout(checkout_channel):
    return checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)


def cart_items(cart_channel, owner):
    cart = cart_pb2_grpc.CartServiceStub(cart_channel).GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart
    return [(i.product_id, i.quantity) for i in cart.items]


def orders_of(checkout, owner):
    return list(checkout.ListOrders(checkout_pb2.ListOrdersRequest(user_id=owner), timeout=5).orders)


def refused(call):
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def test_an_order_goes_from_cart_to_shipped(checkout, checkout_channel, cart_channel, catalog_channel,
                                            payment_channel, email_channel):
    owner = new_shopper()
    mug, tote = create_product(catalog_channel, stock=10), create_product(catalog_channel, stock=10)
    fill_cart(cart_channel, owner, (mug.id, 2), (tote.id, 1))

    placed = checkout.PlaceOrder(place_request(owner, email="ship-me@example.com"), timeout=20).order
    assert placed.status == checkout_pb2.ORDER_STATUS_PLACED and placed.payment_id
    assert sorted((l.product_id, l.quantity, l.unit_price.units) for l in placed.lines) == sorted(
        [(mug.id, 2, 9), (tote.id, 1, 9)])
    assert placed.subtotal.units == 29 and placed.subtotal.nanos == 970_000_000
    assert placed.total.units * 10**9 + placed.total.nanos == (placed.subtotal.units + placed.shipping_cost.units) * 10**9 \
        + placed.subtotal.nanos + placed.shipping_cost.nanos
    assert cart_items(cart_channel, owner) == [], "the cart is emptied"
    assert (stock_of(catalog_channel, mug.id), stock_of(catalog_channel, tote.id)) == (8, 9)

    # Not a wait for PAID: with nothing else running, shipping may ship within a poll's
    # interval of the capture, and an order seen only as SHIPPED was PAID first (paid_time).
    shipped = wait_for_status(checkout_channel, owner, placed.id, "SHIPPED")
    assert shipped.tracking_id and shipped.HasField("paid_time") and shipped.HasField("ship_time")
    payment = payment_pb2_grpc.PaymentServiceStub(payment_channel).GetPayment(
        payment_pb2.GetPaymentRequest(payment_id=placed.payment_id), timeout=5).payment
    assert payment.status == payment_pb2.PAYMENT_STATUS_CAPTURED

    emails = email_pb2_grpc.EmailServiceStub(email_channel)

    def kinds():
        sent = emails.ListSentEmails(email_pb2.ListSentEmailsRequest(recipient="ship-me@example.com",
                                                                     order_id=placed.id), timeout=5).emails
        return sorted(email_pb2.EmailKind.Name(e.kind) for e in sent)

    expected = ["EMAIL_KIND_ORDER_RECEIVED", "EMAIL_KIND_PAYMENT_CONFIRMED", "EMAIL_KIND_SHIPPED"]
    wait_until(lambda: kinds() == expected, 20, "the order's emails")
    assert [o.id for o in orders_of(checkout, owner)] == [placed.id]


def test_prices_come_from_the_catalog_in_the_chosen_currency(checkout, cart_channel, catalog_channel):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=5)
    fill_cart(cart_channel, owner, (product.id, 3))
    order = checkout.PlaceOrder(place_request(owner, currency="EUR"), timeout=20).order
    converted = currency_pb2_grpc.CurrencyServiceStub(catalog_channel).Convert(
        currency_pb2.ConvertRequest(**{"from": product.price}, to_currency_code="EUR"), timeout=5).money
    assert order.currency_code == "EUR" and order.lines[0].unit_price == converted
    assert order.total.currency_code == "EUR"


@pytest.mark.parametrize(
    "card, reason",
    [(DECLINED_CARD, "CARD_DECLINED"), (INSUFFICIENT_FUNDS_CARD, "INSUFFICIENT_FUNDS")],
)
def test_a_refused_card_leaves_no_order_and_gives_the_stock_back(checkout, cart_channel, catalog_channel, card, reason):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=4)
    fill_cart(cart_channel, owner, (product.id, 2))
    error = refused(lambda: checkout.PlaceOrder(place_request(owner, card=card), timeout=20))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and refusal(error)[0] == reason
    assert stock_of(catalog_channel, product.id) == 4
    assert cart_items(cart_channel, owner) == [(product.id, 2)], "the cart is kept for another try"
    assert orders_of(checkout, owner) == []


def test_an_empty_cart_is_refused(checkout):
    error = refused(lambda: checkout.PlaceOrder(place_request(new_shopper()), timeout=20))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and refusal(error)[0] == "CART_EMPTY"


def test_out_of_stock_names_the_product_and_takes_nothing(checkout, cart_channel, catalog_channel):
    owner = new_shopper()
    plenty = create_product(catalog_channel, stock=9)
    scarce = create_product(catalog_channel, stock=5, name="Last Lantern")
    fill_cart(cart_channel, owner, (plenty.id, 1), (scarce.id, 5))
    catalog_pb2_grpc.CatalogServiceStub(catalog_channel).ReserveStock(catalog_pb2.ReserveStockRequest(
        order_id=f"other-{owner}", lines=[catalog_pb2.StockLine(product_id=scarce.id, quantity=3)]), timeout=5)
    error = refused(lambda: checkout.PlaceOrder(place_request(owner), timeout=20))
    reason, metadata, _ = refusal(error)
    assert (reason, metadata.get("product_id")) == ("OUT_OF_STOCK", scarce.id)
    assert "Last Lantern is out of stock" in error.details()
    assert (stock_of(catalog_channel, plenty.id), stock_of(catalog_channel, scarce.id)) == (9, 2)
    assert orders_of(checkout, owner) == []


def test_a_deleted_product_is_unavailable(checkout, cart_channel, catalog_channel):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=3)
    fill_cart(cart_channel, owner, (product.id, 1))
    catalog_pb2_grpc.CatalogServiceStub(catalog_channel).DeleteProduct(catalog_pb2.DeleteProductRequest(id=product.id), timeout=5)
    error = refused(lambda: checkout.PlaceOrder(place_request(owner), timeout=20))
    assert refusal(error)[:2] == ("PRODUCT_UNAVAILABLE", {"product_id": product.id})


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"address": shipping_pb2.Address(name="A", address_lines=["1 Road"], city="Boston", region="MA",
                                          postal_code="ABCDE", country_code="US")}, "address.postal_code"),
        ({"address": shipping_pb2.Address(name="A", address_lines=["1 Road"], city="Nowhere",
                                          postal_code="1", country_code="AQ")}, "address.country_code"),
        ({"card": "4242 4242 4242 4241"}, "credit_card.number"),
    ],
)
def test_invalid_fields_are_named_and_leave_nothing(checkout, cart_channel, catalog_channel, change, field):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=3)
    fill_cart(cart_channel, owner, (product.id, 1))
    error = refused(lambda: checkout.PlaceOrder(place_request(owner, **change), timeout=20))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and refusal(error)[2] == field, error.details()
    assert stock_of(catalog_channel, product.id) == 3 and orders_of(checkout, owner) == []


def test_a_failed_capture_ends_in_payment_failed_with_the_stock_back(checkout, checkout_channel, cart_channel,
                                                                     catalog_channel):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=6)
    fill_cart(cart_channel, owner, (product.id, 2))
    order = checkout.PlaceOrder(place_request(owner, card=CAPTURE_FAILS_CARD), timeout=20).order
    failed = wait_for_status(checkout_channel, owner, order.id, "PAYMENT_FAILED")
    assert failed.status_reason
    wait_until(lambda: stock_of(catalog_channel, product.id) == 6, 20, "the stock released")
    error = refused(lambda: checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=5))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_cancel_after_capture_refunds_and_gives_the_stock_back(checkout, checkout_channel, cart_channel,
                                                               catalog_channel, payment_channel, postgres):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=5)
    fill_cart(cart_channel, owner, (product.id, 2))
    # Shipping's PAID-event handler waits mid-way (quotes and CancelShipment still work),
    # so the order stays PAID until cancelled (test_checkout_cancel_shipping.py).
    with psycopg.connect(postgres.url("shipping_test")) as hold:
        hold.execute("LOCK TABLE processed_events IN EXCLUSIVE MODE")
        order = checkout.PlaceOrder(place_request(owner), timeout=20).order
        wait_for_status(checkout_channel, owner, order.id, "PAID")
        cancelled = checkout.CancelOrder(checkout_pb2.CancelOrderRequest(
            user_id=owner, order_id=order.id, reason="changed my mind"), timeout=5).order
        assert cancelled.status == checkout_pb2.ORDER_STATUS_CANCELLED
    refunded = wait_for_status(checkout_channel, owner, order.id, "REFUNDED")
    assert refunded.HasField("refund_time") and refunded.status_reason == "changed my mind"
    wait_until(lambda: stock_of(catalog_channel, product.id) == 5, 20, "the stock released")
    payment = payment_pb2_grpc.PaymentServiceStub(payment_channel).GetPayment(
        payment_pb2.GetPaymentRequest(payment_id=order.payment_id), timeout=5).payment
    assert payment.status == payment_pb2.PAYMENT_STATUS_REFUNDED
    again = checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=5)
    assert again.order.status == checkout_pb2.ORDER_STATUS_REFUNDED, "cancelling again changes nothing"


def test_a_shipped_order_cannot_be_cancelled(checkout, checkout_channel, cart_channel, catalog_channel):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=5)
    fill_cart(cart_channel, owner, (product.id, 1))
    order = checkout.PlaceOrder(place_request(owner), timeout=20).order
    wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    error = refused(lambda: checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=5))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "shipped" in error.details()
    assert refusal(error)[0] == "ALREADY_SHIPPED"


def test_two_checkouts_racing_for_the_last_unit_one_wins(checkout, cart_channel, catalog_channel):
    product = create_product(catalog_channel, stock=1)
    shoppers = [new_shopper() for _ in range(2)]
    for owner in shoppers:
        fill_cart(cart_channel, owner, (product.id, 1))

    def attempt(owner):
        try:
            return checkout.PlaceOrder(place_request(owner), timeout=20).order.id
        except grpc.RpcError as error:
            return refusal(error)[0]

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(attempt, shoppers))
    assert sorted(o.startswith("ord_") for o in outcomes) == [False, True] and "OUT_OF_STOCK" in outcomes
    assert stock_of(catalog_channel, product.id) == 0


def test_a_retried_checkout_places_one_order(checkout, cart_channel, catalog_channel):
    owner = new_shopper()
    product = create_product(catalog_channel, stock=5)
    fill_cart(cart_channel, owner, (product.id, 1))
    first = checkout.PlaceOrder(place_request(owner, request_id="form-1"), timeout=20).order
    again = checkout.PlaceOrder(place_request(owner, request_id="form-1"), timeout=20).order
    assert again.id == first.id and len(orders_of(checkout, owner)) == 1 and stock_of(catalog_channel, product.id) == 4


def test_orders_are_private_and_admins_see_all(checkout, cart_channel, catalog_channel):
    owner, stranger = new_shopper(), new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel).id, 1))
    order = checkout.PlaceOrder(place_request(owner), timeout=20).order
    error = refused(lambda: checkout.GetOrder(checkout_pb2.GetOrderRequest(user_id=stranger, order_id=order.id), timeout=5))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = refused(lambda: checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=stranger, order_id=order.id), timeout=5))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert checkout.GetAnyOrder(checkout_pb2.GetAnyOrderRequest(order_id=order.id), timeout=5).order.id == order.id
    listed = checkout.ListAllOrders(checkout_pb2.ListAllOrdersRequest(user_id=owner), timeout=5)
    assert [o.id for o in listed.orders] == [order.id] and listed.total_size == 1


def test_no_card_data_in_the_orders_database_or_checkout_log(checkout, cart_channel, catalog_channel, postgres,
                                                             checkout_service):
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel).id, 1))
    checkout.PlaceOrder(place_request(owner, card="4242424242424242"), timeout=20)
    with psycopg.connect(postgres.url("checkout_test")) as conn:
        dump = "\n".join(str(row) for table in ("orders", "order_lines") for row in conn.execute(f"SELECT * FROM {table}"))
        dump += "\n".join(bytes(row[0]).hex() + bytes(row[0]).decode("latin-1") for row in conn.execute("SELECT body FROM outbox"))
    for secret in ("4242424242424242", "4242 4242 4242 4242"):
        assert secret not in dump and secret not in checkout_service.log_text()


def test_place_order_over_http_with_error_details(checkout_service, cart_channel, catalog_channel):
    owner = new_shopper()
    base = f"{checkout_service.http_url}/v1/users/{owner}/orders"
    body = {"currencyCode": "USD", "email": "http@example.com",
            "address": {"name": "Ada", "addressLines": ["1 Road"], "city": "Boston", "region": "MA",
                        "postalCode": "02108", "countryCode": "US"},
            "creditCard": {"number": "4242424242424242", "cvv": "123", "expiryMonth": 12, "expiryYear": 2031,
                           "holderName": "Ada"}}
    empty = request("POST", base, body)
    assert empty.status == 400
    assert empty.json()["error"]["details"][0]["reason"] == "CART_EMPTY"
    fill_cart(cart_channel, owner, (create_product(catalog_channel).id, 1))
    placed = request("POST", base, body)
    assert placed.status == 200 and placed.json()["order"]["status"] == "ORDER_STATUS_PLACED"
    listed = request("GET", base).json()
    assert [o["id"] for o in listed["orders"]] == [placed.json()["order"]["id"]]


def test_one_request_id_follows_the_order_through_the_event_pipeline(checkout, checkout_channel, cart_channel,
                                                                      catalog_channel, email_service):
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel).id, 1))
    rid = uuid.uuid4().hex
    order = checkout.PlaceOrder(place_request(owner, email="traced@example.com"), timeout=20,
                                metadata=(("x-request-id", rid),)).order
    wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    # The email for the order was sent while handling events caused by that request.
    wait_until(lambda: any(f'"request_id": "{rid}"' in line and "email sent" in line
                           for line in email_service.log_text().splitlines()), 20,
               "email's log line carrying the PlaceOrder request id")


def test_a_line_added_while_the_order_is_placed_stays_in_the_cart(checkout, cart_channel, catalog_channel, postgres):
    """The order takes exactly its own lines out of the cart. A lock on the orders table
    holds PlaceOrder after it has read the cart; meanwhile the shopper adds a product and
    raises a line; the order then takes only what it read."""
    owner = new_shopper()
    mug, tote = create_product(catalog_channel, stock=10), create_product(catalog_channel, stock=10)
    fill_cart(cart_channel, owner, (mug.id, 2))
    with psycopg.connect(postgres.url("checkout_test")) as hold, ThreadPoolExecutor(1) as pool:
        hold.execute("LOCK TABLE orders IN EXCLUSIVE MODE")
        placing = pool.submit(checkout.PlaceOrder, place_request(owner), timeout=30)
        wait_until(lambda: hold.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()").fetchone()[0] > 0,
                   20, "PlaceOrder waiting to store the order")
        fill_cart(cart_channel, owner, (tote.id, 1), (mug.id, 1))
        hold.rollback()  # let go
        placed = placing.result(30).order
    assert [(line.product_id, line.quantity) for line in placed.lines] == [(mug.id, 2)]
    assert sorted(cart_items(cart_channel, owner)) == sorted([(mug.id, 1), (tote.id, 1)])
