"""The cart and checkout pages' layer: the form, the request built from it, refusals at
the right field, the cart priced as checkout prices an order, an order's status."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import grpc
from google.type import money_pb2

from frontend import checkout_views as views
from frontend.clients import NotFound, Refused, ServiceUnavailable
from shop.cart.v1 import cart_pb2
from shop.catalog.v1 import catalog_pb2, currency_pb2
from shop.checkout.v1 import checkout_pb2
from shop.shipping.v1 import shipping_pb2


def refused(reason="", field="", message="no", code=grpc.StatusCode.FAILED_PRECONDITION, **metadata):
    return Refused("checkout", code, message, reason, metadata, field)


def test_the_demo_form_can_order_at_once():
    form = views.demo_form(date(2030, 5, 1), "r1")
    request = views.place_order_request(form, "guest:x", "EUR")
    assert views.local_problem(form) is None
    assert request.credit_card.number == "4242 4242 4242 4242" and request.credit_card.expiry_year == 2033
    assert request.address.country_code == "US" and request.address.region == "MA"
    assert request.user_id == "guest:x" and request.currency_code == "EUR" and request.request_id == "r1"


def test_a_form_is_read_trimmed_and_an_empty_second_address_line_is_left_out():
    form = views.CheckoutForm.from_mapping({"email": " a@b.example ", "address_line1": "1 Main St",
                                            "address_line2": "", "country_code": "de"})
    assert form.email == "a@b.example" and form.card_number == ""
    assert list(form.address().address_lines) == ["1 Main St"] and form.address().country_code == "DE"


def test_a_refused_form_comes_back_without_its_card_number_and_security_code():
    form = views.demo_form(date(2030, 1, 1), "r").kept_for_retry()
    assert form.card_cvv == "" and form.card_number == "" and form.request_id == "r"
    assert form.card_holder == "Ada Lovelace" and form.card_expiry_month == "12" and form.email == "ada@example.com"


def test_an_expiry_that_is_not_numbers_is_caught_before_checkout():
    form = views.CheckoutForm(card_expiry_month="xx", card_expiry_year="2030")
    assert views.local_problem(form).fields.keys() == {"card_expiry"}


def test_card_refusals_point_at_the_card_fields():
    assert views.problem_for(refused("CARD_DECLINED")).fields == {
        "card_number": "Your card was declined. Please try another card."}
    assert views.problem_for(refused("INSUFFICIENT_FUNDS")).fields.keys() == {"card_number"}
    assert views.problem_for(refused("INCORRECT_CVV")).fields.keys() == {"card_cvv"}
    assert views.problem_for(refused("EXPIRED_CARD")).fields.keys() == {"card_expiry"}
    assert views.problem_for(refused("CARD_DECLINED")).status == 400


def test_out_of_stock_is_a_message_at_the_cart_line():
    problem = views.problem_for(refused("OUT_OF_STOCK", message="only 1 of Mug left", product_id="mug"))
    assert problem.status == 400 and problem.lines == {"mug": "Only 1 of Mug left."}
    assert views.problem_for(refused("PRODUCT_UNAVAILABLE", product_id="gone")).lines.keys() == {"gone"}


def test_an_invalid_field_is_a_message_at_that_input_in_words_a_visitor_knows():
    problem = views.problem_for(refused(field="address.postal_code", code=grpc.StatusCode.INVALID_ARGUMENT,
                                        message="address.postal_code: must be a US ZIP code"))
    assert problem.status == 400 and problem.fields == {"postal_code": "Postal code must be a US ZIP code."}
    problem = views.problem_for(refused(field="email", code=grpc.StatusCode.INVALID_ARGUMENT,
                                        message="email must be an address like name@example.com"))
    assert problem.fields == {"email": "Email must be an address like name@example.com."}
    assert views.form_field("address.address_lines[1]") == ("address_line1", "Address")
    assert views.form_field("credit_card.number") == ("card_number", "Card number")


def test_an_empty_cart_or_an_unknown_refusal_is_a_message_for_the_whole_form():
    assert views.problem_for(refused("CART_EMPTY")).message.startswith("Your cart is empty")
    other = views.problem_for(refused(field="currency_code", code=grpc.StatusCode.INVALID_ARGUMENT,
                                      message="unsupported currency"))
    assert other.status == 400 and other.fields == {} and other.message == "Unsupported currency."


def test_quantities_typed_into_a_form():
    assert views.parse_quantity("3", minimum=1) == 3
    assert views.parse_quantity("0", minimum=0) == 0
    assert [views.parse_quantity(text, minimum=1) for text in ("0", "100", "-1", "1.5", "", None, "x")] == [None] * 7


# ---- the cart, priced with honest fakes of the services

def usd(units, nanos=0):
    return money_pb2.Money(currency_code="USD", units=units, nanos=nanos)


class FakeService:
    """A service's calls by name; like the website's clients, one object per service
    (frontend/exchange.py keeps conversions per catalog client)."""

    def __init__(self, **calls):
        self.__dict__.update(calls)


class FakeBackends:
    """The services the cart page asks, answering from dictionaries."""

    def __init__(self, items, products, rate=Decimal("0.9"), quote=None):
        self.items, self.products, self.rate, self.quote, self.quote_requests = items, products, rate, quote, []
        self.cart = SimpleNamespace(GetCart=self._cart)
        self.catalog = FakeService(BatchGetProducts=self._batch, GetProduct=self._product, ConvertMany=self._convert)
        self.shipping = SimpleNamespace(GetQuote=self._quote)

    def _cart(self, request):
        return cart_pb2.GetCartResponse(cart=cart_pb2.Cart(owner_id=request.owner_id, items=[
            cart_pb2.CartItem(product_id=p, quantity=q) for p, q in self.items]))

    def _batch(self, request):
        if any(i not in self.products for i in request.ids):
            raise NotFound("catalog", "no such product")
        return catalog_pb2.BatchGetProductsResponse(products=[self.products[i] for i in request.ids])

    def _product(self, request):
        if request.id not in self.products:
            raise NotFound("catalog", "no such product")
        return catalog_pb2.GetProductResponse(product=self.products[request.id])

    def _convert(self, request):
        from service_runtime import protomoney
        from service_runtime.money import round_to_minor_unit
        return currency_pb2.ConvertManyResponse(amounts=[protomoney.to_proto(
            round_to_minor_unit((m.units + Decimal(m.nanos) / 10**9) * self.rate, request.to_currency_code),
            request.to_currency_code) for m in request.amounts])

    def _quote(self, request):
        self.quote_requests.append(request)
        if isinstance(self.quote, Exception):
            raise self.quote
        return shipping_pb2.GetQuoteResponse(cost=money_pb2.Money(currency_code=request.currency_code, units=5),
                                             min_delivery_days=2, max_delivery_days=5)


def product(product_id, price):
    return catalog_pb2.Product(id=product_id, name=product_id.title(), price=price,
                               image_url=f"/images/products/{product_id}.svg")


ADDRESS = shipping_pb2.Address(name="A", address_lines=["1 Main St"], city="Boston", region="MA",
                               postal_code="02108", country_code="US")


def test_the_cart_is_priced_line_by_line_from_converted_unit_prices_like_checkout():
    fake = FakeBackends([("cup", 3), ("mug", 1)], {"cup": product("cup", usd(3, 330_000_000)),
                                                    "mug": product("mug", usd(10))})
    cart = views.load_cart(fake, "guest:x", "EUR", ADDRESS)
    assert [line.unit_price for line in cart.lines] == [Decimal("3.00"), Decimal("9.00")]  # 3.33 * .9 = 2.997
    assert cart.subtotal == Decimal("18.00") and cart.shipping == Decimal(5) and cart.total == Decimal("23.00")
    assert cart.units == 4 and fake.quote_requests[0].subtotal.units == 18
    assert cart.money(cart.total).currency_code == "EUR"


def test_an_empty_cart_asks_for_no_quote():
    fake = FakeBackends([], {})
    cart = views.load_cart(fake, "guest:x", "USD", ADDRESS)
    assert cart.lines == () and cart.total is None and fake.quote_requests == []


def test_a_product_no_longer_sold_shows_without_a_price_and_is_left_out_of_the_totals():
    fake = FakeBackends([("gone", 2), ("mug", 1)], {"mug": product("mug", usd(10))})
    cart = views.load_cart(fake, "guest:x", "USD", ADDRESS)
    assert [(line.product_id, line.unit_price) for line in cart.lines] == [("gone", None), ("mug", Decimal(10))]
    assert cart.subtotal == Decimal(10) and [i.product_id for i in fake.quote_requests[0].items] == ["mug"]


def test_without_a_quote_the_cart_still_shows_its_subtotal():
    for error in (Refused("shipping", grpc.StatusCode.INVALID_ARGUMENT, "bad", field="address.postal_code"),
                  ServiceUnavailable("shipping", "down")):
        fake = FakeBackends([("mug", 1)], {"mug": product("mug", usd(10))}, quote=error)
        cart = views.load_cart(fake, "guest:x", "USD", ADDRESS)
        assert cart.subtotal == Decimal(10) and cart.shipping is None and cart.total is None and cart.shipping_note


# ---- orders

def test_an_orders_status_as_the_page_polls_it():
    shipped = checkout_pb2.Order(status=checkout_pb2.ORDER_STATUS_SHIPPED, tracking_id="CK1US")
    assert views.order_status(shipped) == {"status": "SHIPPED", "statusText": "Shipped", "trackingId": "CK1US",
                                           "final": True}
    placed = views.order_status(checkout_pb2.Order(status=checkout_pb2.ORDER_STATUS_PLACED))
    assert placed["status"] == "PLACED" and placed["final"] is False
    failed = checkout_pb2.Order(status=checkout_pb2.ORDER_STATUS_PAYMENT_FAILED, status_reason="The card was declined.")
    assert views.order_status(failed)["statusText"] == "Payment failed: The card was declined."


def test_a_cancelled_order_is_final_unless_a_refund_is_still_to_come():
    cancelled = checkout_pb2.Order(status=checkout_pb2.ORDER_STATUS_CANCELLED)
    assert views.is_final(cancelled)
    cancelled.paid_time.seconds = 1
    assert not views.is_final(cancelled)
