"""Each kind of email rendered from its templates: subject, what the customer is told,
the order's lines and totals in its own currency, and nothing an order brings able to
change the HTML."""
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from emailservice.notices import EmailKind, Notice
from emailservice.orders import Address, Discount, Order, OrderLine
from emailservice.rendering import Renderer

D = Decimal


def make_order(**changes) -> Order:
    fields = dict(
        id="ord-7F3K2Q", email="erika@example.com", currency="EUR",
        lines=(OrderLine("stoneware-mug", "Stoneware Mug", 2, D("12.50"), D("25.00")),
               OrderLine("linen-apron", "Linen Apron", 1, D("18.00"), D("18.00"))),
        subtotal=D("43.00"), shipping_cost=D("4.99"), total=D("47.99"),
        address=Address("Erika Mustermann", ("Heidestraße 17", "3. OG"), "Köln", "", "51147", "DE"),
        placed_at=datetime(2025, 3, 12, 9, 30, tzinfo=timezone.utc),
    )
    fields.update(changes)
    return Order(**fields)


def render(kind: EmailKind, order: Order | None = None, **notice_fields):
    return Renderer("The Shop").render(Notice(kind, "event-1", "type", order or make_order(), **notice_fields))


def said(kind: EmailKind, order: Order | None = None, **notice_fields) -> str:
    """The plain-text part with its wrapping undone, to look for whole sentences."""
    return " ".join(render(kind, order, **notice_fields).text.split())


@pytest.mark.parametrize("kind, subject", [
    (EmailKind.ORDER_RECEIVED, "We've received your order ord-7F3K2Q"),
    (EmailKind.PAYMENT_CONFIRMED, "Payment confirmed for order ord-7F3K2Q"),
    (EmailKind.PAYMENT_FAILED, "We couldn't take payment for order ord-7F3K2Q"),
    (EmailKind.SHIPPED, "Your order ord-7F3K2Q is on its way"),
    (EmailKind.CANCELLED, "Your order ord-7F3K2Q has been cancelled"),
    (EmailKind.REFUNDED, "Your refund for order ord-7F3K2Q"),
])
def test_each_kind_has_its_subject(kind, subject):
    assert render(kind).subject == subject


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_shows_the_order_lines_totals_and_address_in_both_parts(kind):
    email = render(kind)
    for part in (email.text, email.html):
        assert "ord-7F3K2Q" in part and "12 March 2025" in part
        assert "Erika Mustermann" in part
        for expected in ("Stoneware Mug", "Linen Apron", "€12.50", "€25.00", "€18.00", "€43.00", "€4.99", "€47.99"):
            assert expected in part
        for expected in ("Heidestraße 17", "3. OG", "51147 Köln", "Germany"):
            assert expected in part
        assert "The Shop" in part and "reply to this email" in part
    assert "Hello Erika Mustermann," in email.text
    assert "2 × Stoneware Mug" in email.text and "€12.50 each" in email.text


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_shows_the_discount_line_an_order_was_given(kind):
    order = make_order(discounts=(Discount("SPRING-10: 10% off", D("4.30")),), total=D("43.69"))
    email = render(kind, order)
    for part in (email.text, email.html):
        assert "Discount, SPRING-10: 10% off" in part and "-€4.30" in part and "€43.69" in part
    assert "Discount" not in render(kind).text  # none without a coupon


@pytest.mark.parametrize("kind", list(EmailKind))
def test_the_html_is_self_contained_with_inline_styles_only(kind):
    html = render(kind).html
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for outside in ("<style", "<link", "<script", "<img", "src=", "url(", "http://", "https://", "@import"):
        assert outside not in html
    assert 'style="' in html


def test_the_text_part_keeps_amounts_in_a_right_aligned_column():
    text = render(EmailKind.ORDER_RECEIVED).text
    rows = [line for line in text.splitlines() if line.startswith(("Subtotal", "Shipping ", "Total"))]
    assert [row.split()[-1] for row in rows] == ["€43.00", "€4.99", "€47.99"]
    assert len({len(row) for row in rows}) == 1


def test_order_received_tells_what_happens_next():
    assert "Thanks for your order!" in render(EmailKind.ORDER_RECEIVED).html
    assert "We'll confirm your payment of $47.99 shortly" in said(EmailKind.ORDER_RECEIVED, make_order(currency="USD"))


def test_payment_confirmed_names_the_amount_taken():
    assert "We've received your payment of €47.99." in said(EmailKind.PAYMENT_CONFIRMED)


def test_payment_failed_gives_the_banks_reason_and_says_nothing_was_charged():
    order = make_order(status_reason="The card has insufficient funds.")
    for part in (said(EmailKind.PAYMENT_FAILED, order), render(EmailKind.PAYMENT_FAILED, order).html):
        assert "The card has insufficient funds." in part and "You have not been charged" in part


def test_payment_failed_without_a_reason_leaves_the_reason_out():
    assert "What your bank told us" not in render(EmailKind.PAYMENT_FAILED).text


def test_shipped_shows_the_tracking_number():
    email = render(EmailKind.SHIPPED, make_order(tracking_id="CK473124829US"))
    assert "Tracking number: CK473124829US" in email.text
    assert "CK473124829US</span>" in email.html


def test_a_customer_cancellation_reads_differently_from_the_shops():
    by_customer = said(EmailKind.CANCELLED)
    by_shop = said(EmailKind.CANCELLED, make_order(status_reason="Sold out at the supplier."), cancelled_by_admin=True)
    assert "As you asked, we've cancelled your order." in by_customer
    assert "we've had to cancel your order" in by_shop and "Reason: Sold out at the supplier." in by_shop


def test_a_cancellation_says_whether_money_comes_back_or_was_never_taken():
    assert "the hold of €47.99 on your card has been released" in said(EmailKind.CANCELLED)
    captured = said(EmailKind.CANCELLED, payment_captured=True)
    assert "Your payment of €47.99 will be refunded to your card." in captured


def test_refunded_names_the_amount_given_back():
    assert "We've refunded €47.99 to the card you paid with" in said(EmailKind.REFUNDED)


def test_free_shipping_reads_as_free():
    email = render(EmailKind.ORDER_RECEIVED, make_order(shipping_cost=D("0"), total=D("43.00")))
    assert "Free" in email.text and "Free" in email.html


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&'


@pytest.mark.parametrize("kind", list(EmailKind))
def test_a_hostile_product_or_customer_name_is_escaped_in_the_html(kind):
    order = make_order(
        lines=(OrderLine("p", HOSTILE, 1, D("1.00"), D("1.00")),),
        address=Address(HOSTILE, ("1 <b>Main</b> St",), "Town", "", "12345", "DE"),
        status_reason=HOSTILE, tracking_id="<i>X</i>",
    )
    email = render(kind, order)
    assert "<script" not in email.html and "<img" not in email.html and "<b>Main" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;" in email.html
    # The text part is not HTML: it shows the names exactly as they were given.
    assert HOSTILE in email.text


@pytest.mark.parametrize("currency, amounts", [
    ("USD", ["$12.50", "$25.00", "$43.00", "$4.99", "$47.99"]),
    ("EUR", ["€12.50", "€25.00", "€43.00", "€4.99", "€47.99"]),
    ("CHF", ["CHF 12.50", "CHF 25.00", "CHF 43.00", "CHF 4.99", "CHF 47.99"]),
])
def test_amounts_are_in_the_orders_currency(currency, amounts):
    email = render(EmailKind.ORDER_RECEIVED, make_order(currency=currency))
    for amount in amounts:
        assert amount in email.text and amount in email.html


def test_yen_amounts_have_no_decimals_and_large_amounts_are_grouped():
    order = make_order(
        currency="JPY", lines=(OrderLine("camera", "Film Camera", 3, D("41800"), D("125400")),),
        subtotal=D("125400"), shipping_cost=D("1500"), total=D("126900"),
    )
    email = render(EmailKind.PAYMENT_CONFIRMED, order)
    for amount in ("¥41,800", "¥125,400", "¥1,500", "¥126,900"):
        assert amount in email.text and amount in email.html
    assert "¥126,900." in email.text and ".00" not in email.text


def test_an_order_without_an_address_or_date_still_renders():
    email = render(EmailKind.REFUNDED, replace(make_order(), address=None, placed_at=None))
    assert "Hello," in email.text and "SHIPPING ADDRESS" not in email.text and "placed on" not in email.text
