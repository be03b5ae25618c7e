"""The cart, checkout and order pages' small layer between the views and the services:
the checkout form and the PlaceOrder request built from it, the cart priced exactly as
checkout will price the order, refusals turned into messages at the right form field,
and an order's status as the page shows it. The functions that call services take the
`Backends` as an argument; the rest is pure."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from typing import Mapping

from service_runtime import protomoney
from service_runtime.transcoding import http_status
from shop.cart.v1 import cart_pb2
from shop.catalog.v1 import catalog_pb2, coupons_pb2
from shop.checkout.v1 import checkout_pb2
from shop.payment.v1 import payment_pb2
from shop.shipping.v1 import shipping_pb2

from frontend import catalog_views, exchange
from frontend.account_views import sentence
from frontend.clients import NotFound, Refused, ServiceUnavailable

MAX_QUANTITY = catalog_views.MAX_QUANTITY
# Product images are files the website serves under this path (the shop blueprint);
# anything else shows the placeholder, as pages load nothing from the internet.

# paymentservice's test cards (paymentservice/README.md), listed beside the form.
TEST_CARDS = (
    ("4242 4242 4242 4242", "approved"),
    ("5555 5555 5555 4444", "approved (Mastercard)"),
    ("4000 0000 0000 0002", "declined"),
    ("4000 0000 0000 9995", "declined: insufficient funds"),
    ("4000 0000 0000 0069", "declined: expired card"),
    ("4000 0000 0000 0127", "declined: incorrect security code"),
    ("4000 0000 0000 0341", "approved, then the payment fails at capture"),
)


# ---------------------------------------------------------------------------- the form

@dataclass(frozen=True)
class CheckoutForm:
    """What the visitor typed, as text, so a refused form comes back exactly as sent."""

    email: str = ""
    name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country_code: str = ""
    card_number: str = ""
    card_cvv: str = ""
    card_expiry_month: str = ""
    card_expiry_year: str = ""
    card_holder: str = ""
    request_id: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, str]) -> "CheckoutForm":
        return cls(**{f.name: (data.get(f.name) or "").strip()[:200] for f in fields(cls)})

    def kept_for_retry(self) -> "CheckoutForm":
        """The form as shown again after a refusal: everything the visitor typed except
        the card number and its security code, which are never sent back to a browser."""
        return replace(self, card_number="", card_cvv="")

    def address(self) -> shipping_pb2.Address:
        lines = [line for line in (self.address_line1, self.address_line2) if line]
        return shipping_pb2.Address(name=self.name, address_lines=lines, city=self.city, region=self.region,
                                    postal_code=self.postal_code, country_code=self.country_code.upper())


def demo_form(today: date, request_id: str) -> CheckoutForm:
    """The form as first shown: a demo customer who can order at once."""
    return CheckoutForm(
        email="ada@example.com", name="Ada Lovelace", address_line1="12 Tremont Street", city="Boston",
        region="MA", postal_code="02108", country_code="US", card_number="4242 4242 4242 4242", card_cvv="123",
        card_expiry_month="12", card_expiry_year=str(today.year + 3), card_holder="Ada Lovelace",
        request_id=request_id)


@dataclass(frozen=True)
class Problem:
    """Why a checkout did not go through: messages at form fields, at cart lines (by
    product id), and one for the top of the form; `status` is the page's HTTP status."""

    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)


def local_problem(form: CheckoutForm) -> Problem | None:
    """What the website can tell before asking checkout: the expiry must be numbers (the
    request carries them as integers). Everything else is checked by the services."""
    if not (form.card_expiry_month.isdigit() and form.card_expiry_year.isdigit()):
        return Problem(400, "Please check the card details.",
                       fields={"card_expiry": "Enter the expiry month and year as numbers, e.g. 12 and 2030."})
    return None


def place_order_request(form: CheckoutForm, user_id: str, currency: str) -> checkout_pb2.PlaceOrderRequest:
    """Pure. Call `local_problem` first: the expiry must be digits."""
    return checkout_pb2.PlaceOrderRequest(
        user_id=user_id, currency_code=currency, address=form.address(), email=form.email,
        credit_card=payment_pb2.CreditCard(number=form.card_number, cvv=form.card_cvv,
                                           expiry_month=int(form.card_expiry_month),
                                           expiry_year=int(form.card_expiry_year), holder_name=form.card_holder),
        request_id=form.request_id[:64])


# The services' field paths (google.rpc.BadRequest) -> the form's inputs, with the label
# a visitor knows the input by.
_FIELDS = {
    "email": ("email", "Email"),
    "address.name": ("name", "Full name"),
    "address.address_lines": ("address_line1", "Address"),
    "address.city": ("city", "City"),
    "address.region": ("region", "State or region"),
    "address.postal_code": ("postal_code", "Postal code"),
    "address.country_code": ("country_code", "Country"),
    "address": ("address_line1", "Address"),
    "credit_card.number": ("card_number", "Card number"),
    "credit_card.cvv": ("card_cvv", "Security code"),
    "credit_card.expiry_month": ("card_expiry", "Expiry month"),
    "credit_card.expiry_year": ("card_expiry", "Expiry year"),
    "credit_card.holder_name": ("card_holder", "Name on card"),
}

_CARD_REFUSALS = {
    "CARD_DECLINED": ("card_number", "Your card was declined. Please try another card."),
    "INSUFFICIENT_FUNDS": ("card_number", "The card has insufficient funds. Please try another card."),
    "EXPIRED_CARD": ("card_expiry", "The card has expired. Check the expiry date or try another card."),
    "INCORRECT_CVV": ("card_cvv", "The security code is incorrect."),
    "ISSUER_UNAVAILABLE": ("card_number", "Your card's bank did not answer. Please try again or use another card."),
}


def form_field(service_field: str) -> tuple[str, str] | None:
    """(input name, label) for a service's field path such as "address.address_lines[0]"."""
    path = re.sub(r"\[\d+\]", "", service_field)
    while path:
        if path in _FIELDS:
            return _FIELDS[path]
        path = path.rpartition(".")[0]
    return None


def field_message(service_field: str, message: str, label: str) -> str:
    """The service's message with its field path replaced by the label: "address.postal_code
    must be ..." reads "Postal code must be ...". Pure."""
    message = re.sub(r"^" + re.escape(service_field) + r"\b:?", label, message.strip())
    message = re.sub(r"^(address|credit_card)\.[a-z_]+(\[\d+\])?:?", label, message)
    return sentence(message)


def problem_for(refused: Refused) -> Problem:
    """Where a refused PlaceOrder's message belongs on the page, with the status the
    public API gives the same refusal (docs/decisions/0010). Pure."""
    status = http_status(refused.code)
    if refused.reason in _CARD_REFUSALS:
        input_name, message = _CARD_REFUSALS[refused.reason]
        return Problem(status, "Your payment did not go through.", fields={input_name: message})
    if refused.reason in ("OUT_OF_STOCK", "PRODUCT_UNAVAILABLE"):
        product_id = refused.metadata.get("product_id", "")
        line = sentence(refused.message) if refused.reason == "OUT_OF_STOCK" else \
            "This product is no longer sold. Please remove it from your cart."
        return Problem(status, "Some of your cart cannot be ordered as it stands; see the marked items.",
                       lines={product_id: line} if product_id else {})
    if refused.reason == "CART_EMPTY":
        return Problem(status, "Your cart is empty: add something before checking out.")
    if refused.reason == "COUPON_REFUSED":
        return Problem(status, f"{sentence(refused.message)} Remove the code, or change your cart, and order again.")
    target = form_field(refused.field) if refused.field else None
    if target:
        input_name, label = target
        return Problem(status, "Please check the marked fields.",
                       fields={input_name: field_message(refused.field, refused.message, label)})
    return Problem(status, sentence(refused.message))


def place_order(backends, form: CheckoutForm, user_id: str, currency: str, timeout: float) -> checkout_pb2.Order:
    """PlaceOrder; raises Refused (see `problem_for`) or ServiceUnavailable."""
    return backends.checkout.PlaceOrder(place_order_request(form, user_id, currency), timeout=timeout).order


# ---------------------------------------------------------------------------- the cart

@dataclass(frozen=True)
class CartLine:
    product_id: str
    name: str
    image_url: str
    quantity: int
    # In the cart's currency; None when the product can no longer be bought.
    unit_price: Decimal | None


@dataclass(frozen=True)
class CartView:
    currency: str
    lines: tuple[CartLine, ...]
    # None when there is no quote (an empty cart, an address shipping refuses, shipping away).
    shipping: Decimal | None = None
    shipping_note: str = ""
    # The coupon code the shopper applied, what it takes off now (None when it does not
    # apply, `coupon_note` saying why) and how it reads.
    coupon_code: str = ""
    discount: Decimal | None = None
    discount_description: str = ""
    coupon_note: str = ""
    # The categories of what is in the cart: the promotions that fit it.
    categories: frozenset[str] = frozenset()

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def subtotal(self) -> Decimal:
        """As checkout adds it up: each converted unit price times its quantity."""
        return sum((line.unit_price * line.quantity for line in self.lines if line.unit_price is not None),
                   start=Decimal(0))

    @property
    def total(self) -> Decimal | None:
        return None if self.shipping is None else self.subtotal - (self.discount or 0) + self.shipping

    def money(self, amount: Decimal | None):
        """An amount as a google.type.Money, for the `money` filter."""
        return None if amount is None else protomoney.to_proto(amount, self.currency)


def parse_quantity(text: str | None, *, minimum: int) -> int | None:
    """A quantity typed into a form, or None when it is not a whole number in range. Pure."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{1,3}", text):
        return None
    quantity = int(text)
    return quantity if minimum <= quantity <= MAX_QUANTITY else None


def _products(backends, ids: list[str]) -> dict:
    """id -> catalog Product for the ids the catalog still sells. One batch call; if one
    of them is gone (the batch is then NOT_FOUND), one call each to learn which."""
    if not ids:
        return {}
    try:
        reply = backends.catalog.BatchGetProducts(catalog_pb2.BatchGetProductsRequest(ids=ids))
        return {product.id: product for product in reply.products}
    except NotFound:
        found = {}
        for product_id in ids:
            try:
                found[product_id] = backends.catalog.GetProduct(catalog_pb2.GetProductRequest(id=product_id)).product
            except NotFound:
                pass
        return found


def named_lines(backends, lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(product id, units) -> (the product's name, units); an id the catalog no longer
    sells keeps its id."""
    products = _products(backends, [product_id for product_id, _ in lines])
    return [(products[p].name if p in products else p, units) for p, units in lines]


def _unit_prices(backends, products: list, currency: str) -> dict[str, Decimal]:
    """id -> the catalog price converted as checkout converts it (one ConvertMany call at
    most, rounded half-even to the currency's minor unit; exchange.py)."""
    prices = [product.price for product in products]
    if any(price.currency_code != currency for price in prices):
        prices = exchange.converted(backends.catalog, prices, currency)
    return {product.id: protomoney.from_proto(price)[0] for product, price in zip(products, prices)}


def load_cart(backends, owner_id: str, currency: str, address: shipping_pb2.Address) -> CartView:
    """The owner's cart priced in `currency`, with shipping quoted to `address` (the one in
    the checkout form), so the page shows the totals the order will have."""
    stored = backends.cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner_id)).cart
    items = stored.items
    products = _products(backends, [item.product_id for item in items])
    prices = _unit_prices(backends, list(products.values()), currency)
    lines = []
    for item in items:
        product = products.get(item.product_id)
        lines.append(CartLine(item.product_id, product.name if product else item.product_id,
                              catalog_views.image_src(product.image_url if product else ""), item.quantity,
                              prices.get(item.product_id)))
    cart = CartView(currency, tuple(lines),
                    categories=frozenset(c for product in products.values() for c in product.categories))
    if stored.coupon_code and items:
        cart = _with_coupon(backends, cart, stored.coupon_code, owner_id)
    return _with_shipping(backends, cart, address) if cart.subtotal > 0 else cart


def _with_coupon(backends, cart: CartView, code: str, owner_id: str) -> CartView:
    """What the cart's code takes off now, as checkout will redeem it (decision 0016)."""
    try:
        priced = backends.catalog.PriceCoupon(coupons_pb2.PriceCouponRequest(
            coupon_code=code, currency_code=cart.currency, customer_id=owner_id,
            lines=[coupons_pb2.CartLine(product_id=line.product_id, quantity=line.quantity) for line in cart.lines]))
    except Refused as refused:
        return replace(cart, coupon_code=code, coupon_note=sentence(refused.message))
    except ServiceUnavailable:
        return replace(cart, coupon_code=code, coupon_note="We cannot check the code right now; it is checked again "
                                                           "when you place the order.")
    return replace(cart, coupon_code=code, discount=protomoney.from_proto(priced.discount.amount)[0],
                   discount_description=priced.discount.description)


def _with_shipping(backends, cart: CartView, address: shipping_pb2.Address) -> CartView:
    request = shipping_pb2.GetQuoteRequest(
        address=address, currency_code=cart.currency, subtotal=cart.money(cart.subtotal),
        items=[shipping_pb2.ShipmentItem(product_id=line.product_id, quantity=line.quantity)
               for line in cart.lines if line.unit_price is not None])
    try:
        quote = backends.shipping.GetQuote(request)
    except Refused:
        return replace(cart, shipping_note="Enter a delivery address we ship to for a shipping quote.")
    except ServiceUnavailable:
        return replace(cart, shipping_note="Shipping is calculated when you place the order.")
    cost = protomoney.from_proto(quote.cost)[0]
    days = f"Delivery in {quote.min_delivery_days}–{quote.max_delivery_days} days after shipping."
    return replace(cart, shipping=cost, shipping_note=days)


# ---------------------------------------------------------------------------- orders

STATUS_TEXT = {
    checkout_pb2.ORDER_STATUS_PLACED: "Placed: we are taking the payment",
    checkout_pb2.ORDER_STATUS_PAID: "Paid: being packed",
    checkout_pb2.ORDER_STATUS_SHIPPED: "Shipped",
    checkout_pb2.ORDER_STATUS_PAYMENT_FAILED: "Payment failed",
    checkout_pb2.ORDER_STATUS_CANCELLED: "Cancelled",
    checkout_pb2.ORDER_STATUS_REFUNDED: "Cancelled and refunded",
}


def status_name(order: checkout_pb2.Order) -> str:
    """"PLACED", "PAID", "SHIPPED", ..."""
    return checkout_pb2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_")


def is_final(order: checkout_pb2.Order) -> bool:
    """No further status will come. A cancelled order whose payment was captured still
    waits for its refund."""
    if order.status == checkout_pb2.ORDER_STATUS_CANCELLED:
        return not order.HasField("paid_time")
    return order.status in (checkout_pb2.ORDER_STATUS_SHIPPED, checkout_pb2.ORDER_STATUS_PAYMENT_FAILED,
                            checkout_pb2.ORDER_STATUS_REFUNDED)


def order_status(order: checkout_pb2.Order) -> dict:
    """The JSON the order page polls. Pure."""
    text = STATUS_TEXT.get(order.status, "Unknown")
    if order.status_reason and order.status in (checkout_pb2.ORDER_STATUS_PAYMENT_FAILED,
                                                checkout_pb2.ORDER_STATUS_CANCELLED,
                                                checkout_pb2.ORDER_STATUS_REFUNDED):
        text = f"{text}: {order.status_reason}"
    return {"status": status_name(order), "statusText": text, "trackingId": order.tracking_id,
            "final": is_final(order)}


def get_order(backends, user_id: str, order_id: str) -> checkout_pb2.Order:
    """The user's order; NotFound when it does not exist or is someone else's."""
    return backends.checkout.GetOrder(checkout_pb2.GetOrderRequest(user_id=user_id, order_id=order_id)).order
