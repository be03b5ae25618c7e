"""What the account pages show and send: forms read from a request, the identity and
checkout requests built from them, refusals turned into messages at the right field, and
orders turned into rows. Pure: no Flask, no network."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timezone

import grpc

from service_runtime.transcoding import http_status
from shop.checkout.v1 import checkout_pb2
from shop.identity.v1 import identity_pb2

from frontend.clients import Refused

# One answer for an unknown email and a wrong password, as identityservice gives it, so
# the page reveals nothing about which accounts exist.
INVALID_CREDENTIALS = "The email address or password is not right."
# identity says so only once the password is right (reason ACCOUNT_LOCKED).
ACCOUNT_LOCKED = ("This account has been locked by the shop, so it cannot sign in. "
                  "Please contact customer service to have it unlocked.")
FORM_FIELDS = ("email", "display_name", "password")

STATUS_LABELS = {
    checkout_pb2.ORDER_STATUS_PLACED: "Placed",
    checkout_pb2.ORDER_STATUS_PAID: "Paid",
    checkout_pb2.ORDER_STATUS_SHIPPED: "Shipped",
    checkout_pb2.ORDER_STATUS_PAYMENT_FAILED: "Payment failed",
    checkout_pb2.ORDER_STATUS_CANCELLED: "Cancelled",
    checkout_pb2.ORDER_STATUS_REFUNDED: "Refunded",
}
# Checkout cancels an order only before it ships (PLACED → CANCELLED, PAID → CANCELLED).
CANCELLABLE = {checkout_pb2.ORDER_STATUS_PLACED, checkout_pb2.ORDER_STATUS_PAID}


@dataclass
class AccountForm:
    """What the visitor typed into the register or sign-in form. The password is kept
    only to send it on; a page never shows it again."""
    email: str = ""
    display_name: str = ""
    password: str = field(default="", repr=False)
    errors: dict[str, str] = field(default_factory=dict)
    # A message for the whole form (wrong credentials, lockout), not one field.
    problem: str = ""

    @classmethod
    def from_form(cls, form) -> "AccountForm":
        return cls(email=form.get("email", "").strip(), display_name=form.get("display_name", "").strip(),
                   password=form.get("password", ""))

    def missing(self, *names: str) -> dict[str, str]:
        """Errors for required fields left empty, so an empty form never reaches the
        service (nor counts against the visitor's sign-in attempts)."""
        wording = {"email": "Enter your email address.", "display_name": "Enter the name we should call you.",
                   "password": "Enter your password."}
        return {name: wording[name] for name in names if not getattr(self, name)}

    def register_request(self) -> identity_pb2.RegisterRequest:
        return identity_pb2.RegisterRequest(email=self.email, password=self.password, display_name=self.display_name)

    def authenticate_request(self) -> identity_pb2.AuthenticateRequest:
        return identity_pb2.AuthenticateRequest(email=self.email, password=self.password)


def sentence(message: str) -> str:
    """A service message as a sentence on a page: capitalized, ending with a full stop."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def wait_phrase(seconds: int) -> str:
    """'in 45 seconds', 'in 1 minute', 'in 15 minutes': how long until trying again."""
    seconds = max(1, seconds)
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def retry_after(refusal: Refused) -> int | None:
    """The service's retry_after_seconds, when it gave a usable one."""
    try:
        return max(1, int(refusal.metadata.get("retry_after_seconds", "")))
    except ValueError:
        return None


def too_many_message(refusal: Refused) -> str:
    seconds = retry_after(refusal)
    when = f"Please try again {wait_phrase(seconds)}." if seconds else "Please try again later."
    if refusal.reason == "TOO_MANY_ATTEMPTS":
        return f"Too many failed sign-in attempts for this email address. {when}"
    return f"Too many sign-in attempts from your network. {when}"


def field_or_problem(form: AccountForm, refusal: Refused, fields: tuple[str, ...]) -> None:
    """A refusal that names one of the form's fields goes there; any other, to the form."""
    if refusal.field in fields:
        form.errors[refusal.field] = sentence(refusal.message)
    else:
        form.problem = sentence(refusal.message)


def register_refusal(form: AccountForm, refusal: Refused) -> int:
    """Put a Register refusal on the form; the page's status code."""
    if refusal.code == grpc.StatusCode.ALREADY_EXISTS or refusal.reason == "EMAIL_TAKEN":
        form.errors["email"] = "An account with this email address already exists. Sign in instead, or use another address."
    else:
        field_or_problem(form, refusal, FORM_FIELDS)
    return http_status(refusal.code)


def login_refusal(form: AccountForm, refusal: Refused) -> int:
    """Put an Authenticate refusal on the form; the page's status code."""
    if refusal.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        form.problem = too_many_message(refusal)
        return 429
    if refusal.code == grpc.StatusCode.INVALID_ARGUMENT:
        field_or_problem(form, refusal, ("email", "password"))
        return 400
    if refusal.reason == "ACCOUNT_LOCKED":
        form.problem = ACCOUNT_LOCKED
        return http_status(refusal.code)
    form.problem = INVALID_CREDENTIALS
    return 401


@dataclass(frozen=True)
class OrderRow:
    id: str
    placed_on: str
    status: str
    total: object  # google.type.Money, for the template's money filter
    item_count: int
    cancellable: bool


def order_row(order: checkout_pb2.Order) -> OrderRow:
    placed = order.create_time.ToDatetime(tzinfo=timezone.utc)
    return OrderRow(id=order.id, placed_on=f"{placed.day} {placed:%B %Y}",
                    status=STATUS_LABELS.get(order.status, "Unknown"), total=order.total,
                    item_count=sum(line.quantity for line in order.lines), cancellable=order.status in CANCELLABLE)


@dataclass(frozen=True)
class Profile:
    email: str
    display_name: str
    roles: list[str]


def profile(user: identity_pb2.User) -> Profile:
    return Profile(email=user.email, display_name=user.display_name, roles=sorted(user.roles))


def cancel_refusal_message(order_id: str, refusal: Refused) -> str:
    if refusal.code == grpc.StatusCode.FAILED_PRECONDITION:
        return sentence(refusal.message) or f"Order {order_id} can no longer be cancelled."
    return f"Order {order_id} could not be cancelled: {sentence(refusal.message)}"


def not_merged_message(lines: list[tuple[str, int]]) -> str:
    """What the shopper is told when the cart from before signing in did not all fit in
    their account's cart: (name, units) that stayed out."""
    parts = ", ".join(f"{name} ({units} unit{'' if units == 1 else 's'})" for name, units in lines)
    return (f"Not everything from before you signed in fitted in your cart, so these stayed out: {parts}. "
            "A cart holds up to 50 products and 99 units of each.")
