"""Emails rendered from templates: a subject, a plain-text part and an HTML part per
notice. The HTML templates autoescape everything an order brings (product names, the
customer's name, the reason given for a cancellation); the text ones need no escaping."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from emailservice import formatting
from emailservice.notices import EmailKind, Notice

TEMPLATES = Path(__file__).parent / "templates"

# The colour of each kind's header rule and label: green for good news, red for a failed
# payment, grey for a cancellation.
ACCENTS = {
    EmailKind.ORDER_RECEIVED: "#2563eb",
    EmailKind.PAYMENT_CONFIRMED: "#15803d",
    EmailKind.PAYMENT_FAILED: "#b91c1c",
    EmailKind.SHIPPED: "#15803d",
    EmailKind.CANCELLED: "#4b5563",
    EmailKind.REFUNDED: "#4b5563",
}

SUBJECTS = {
    EmailKind.ORDER_RECEIVED: "We've received your order {order_id}",
    EmailKind.PAYMENT_CONFIRMED: "Payment confirmed for order {order_id}",
    EmailKind.PAYMENT_FAILED: "We couldn't take payment for order {order_id}",
    EmailKind.SHIPPED: "Your order {order_id} is on its way",
    EmailKind.CANCELLED: "Your order {order_id} has been cancelled",
    EmailKind.REFUNDED: "Your refund for order {order_id}",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, shop_name: str, templates: Path = TEMPLATES):
        self._shop_name = shop_name
        self._env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, notice: Notice) -> RenderedEmail:
        order = notice.order
        subject = SUBJECTS[notice.kind].format(order_id=order.id)
        context = {
            "subject": subject,
            "shop_name": self._shop_name,
            "accent": ACCENTS[notice.kind],
            "notice": notice,
            "order": order,
            "greeting_name": " ".join(order.address.name.split()) if order.address else "",
            "placed_on": formatting.format_date(order.placed_at),
            "address_lines": formatting.address_lines(order.address),
            "summary": formatting.text_summary(order),
            "money": lambda amount: formatting.format_money(amount, order.currency),
        }
        name = notice.kind.value
        return RenderedEmail(
            subject=subject,
            text=self._env.get_template(f"{name}.txt").render(context),
            html=self._env.get_template(f"{name}.html").render(context),
        )
