"""Builders shared by the emailservice tests: order events as checkoutservice publishes
them, and readers of what the service wrote. No tests here; the name keeps it among the
files emailservice's tests own."""
from __future__ import annotations

import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from google.type import money_pb2

from shop.checkout.v1 import checkout_pb2, events_pb2
from shop.email.v1 import email_pb2
from shop.shipping.v1 import shipping_pb2
from tests.support import metrics
from tests.support.events import new_event_fields
from tests.support.services import wait_until

OrderStatus = checkout_pb2.OrderStatus


def money(amount: str, currency: str = "USD") -> money_pb2.Money:
    units, _, fraction = amount.partition(".")
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    return money_pb2.Money(currency_code=currency, units=int(units), nanos=nanos)


def new_recipient() -> str:
    return f"customer-{uuid.uuid4().hex[:12]}@example.com"


def order(email: str | None = None, *, currency: str = "USD", name: str = "Ada Lovelace",
          product_name: str = "Stoneware Mug", status=OrderStatus.ORDER_STATUS_PLACED, **changes) -> checkout_pb2.Order:
    fields = dict(
        id=f"ord-{uuid.uuid4().hex[:10]}", user_id="guest:s1", email=email or new_recipient(), status=status,
        lines=[
            checkout_pb2.OrderLine(product_id="stoneware-mug", name=product_name, quantity=2,
                                   unit_price=money("12.50", currency), line_total=money("25.00", currency)),
            checkout_pb2.OrderLine(product_id="linen-apron", name="Linen Apron", quantity=1,
                                   unit_price=money("18.00", currency), line_total=money("18.00", currency)),
        ],
        shipping_address=shipping_pb2.Address(name=name, address_lines=["12 St James's Square"], city="London",
                                              postal_code="SW1Y 4JH", country_code="GB"),
        currency_code=currency, subtotal=money("43.00", currency), shipping_cost=money("4.99", currency),
        total=money("47.99", currency), payment_id="pay-1",
    )
    fields.update(changes)
    message = checkout_pb2.Order(**fields)
    message.create_time.GetCurrentTime()
    return message


def placed(the_order: checkout_pb2.Order | None = None) -> events_pb2.OrderPlaced:
    the_order = the_order or order()
    return events_pb2.OrderPlaced(order_id=the_order.id, order=the_order, **new_event_fields())


def status_changed(the_order: checkout_pb2.Order, status, previous=OrderStatus.ORDER_STATUS_PLACED,
                   **order_changes) -> events_pb2.OrderStatusChanged:
    changed = checkout_pb2.Order()
    changed.CopyFrom(the_order)
    changed.status = status
    for name, value in order_changes.items():
        setattr(changed, name, value)
    return events_pb2.OrderStatusChanged(order_id=changed.id, previous_status=previous, status=status,
                                         order=changed, **new_event_fields())


def cancelled(the_order: checkout_pb2.Order, *, reason: str = "", captured: bool = False,
              by_admin: bool = False) -> events_pb2.OrderCancelled:
    changed = checkout_pb2.Order()
    changed.CopyFrom(the_order)
    changed.status = OrderStatus.ORDER_STATUS_CANCELLED
    changed.status_reason = reason
    return events_pb2.OrderCancelled(order_id=changed.id, payment_id=changed.payment_id, payment_captured=captured,
                                     reason=reason, cancelled_by_admin=by_admin, order=changed,
                                     **new_event_fields())


def read_eml(path: Path) -> EmailMessage:
    with open(path, "rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def eml_files_to(mail_dir: Path, recipient: str) -> list[tuple[Path, EmailMessage]]:
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = read_eml(path)
        if message["To"] == recipient:
            found.append((path, message))
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a multipart/alternative message."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def sent_to(stub, recipient: str, **filters) -> list[email_pb2.SentEmail]:
    """The emails sent to an address, newest first (ListSentEmails)."""
    request = email_pb2.ListSentEmailsRequest(recipient=recipient, page_size=100, **filters)
    return list(stub.ListSentEmails(request, timeout=5).emails)


def wait_for_emails(stub, recipient: str, count: int, timeout: float = 30.0) -> list[email_pb2.SentEmail]:
    """The emails sent to an address, once there are at least `count`."""
    def enough():
        found = sent_to(stub, recipient)
        return found if len(found) >= count else None

    return wait_until(enough, timeout, f"{count} email(s) to {recipient}")


def metric(service, name: str, **labels) -> float:
    """A sample of the service's /metrics, 0 until it is first counted."""
    return metrics.value(service.http_url, name, **labels)


def wait_for_metric(service, name: str, at_least: float, timeout: float = 30.0, **labels) -> None:
    metrics.wait_for(service.http_url, name, at_least, timeout, **labels)
