"""The back office's orders, apart from I/O: the list's filters as typed (status, email,
dates) and the request they make, and how an order's parts read. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from service_runtime.prototime import to_timestamp
from shop.checkout.v1 import checkout_pb2

STATUSES = [name.removeprefix("ORDER_STATUS_") for name in checkout_pb2.OrderStatus.keys()
            if name != "ORDER_STATUS_UNSPECIFIED"]
_EMAIL_PART = re.compile(r"[^\s<>]{1,320}")


@dataclass
class Filters:
    status: str = ""
    email: str = ""
    placed_from: str = ""   # YYYY-MM-DD, UTC, inclusive
    placed_to: str = ""     # YYYY-MM-DD, UTC, inclusive
    problem: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        typed = cls(status=args.get("status", "").strip().upper(), email=args.get("email", "").strip(),
                    placed_from=args.get("from", "").strip(), placed_to=args.get("to", "").strip())
        problems = []
        if typed.status and typed.status not in STATUSES:
            problems.append(f"there is no status {typed.status}")
        if typed.email and not _EMAIL_PART.fullmatch(typed.email):
            problems.append("the email filter is part of an address, without spaces")
        try:
            start, end = day(typed.placed_from), day(typed.placed_to)
        except ValueError:
            problems.append("dates are written 2026-12-05")
        else:
            if start and end and end < start:
                problems.append("the last day comes before the first")
        typed.problem = "; ".join(problems)
        return typed

    def request(self, page_size: int, page_token: str) -> checkout_pb2.ListAllOrdersRequest:
        """The checkout request these filters make (only once `problem` is empty)."""
        asked = checkout_pb2.ListAllOrdersRequest(page_size=page_size, page_token=page_token, email=self.email)
        if self.status:
            asked.status = checkout_pb2.OrderStatus.Value(f"ORDER_STATUS_{self.status}")
        if self.placed_from:
            asked.placed_after.CopyFrom(to_timestamp(datetime.combine(day(self.placed_from), time(), timezone.utc)))
        if self.placed_to:
            end = datetime.combine(day(self.placed_to) + timedelta(days=1), time(), timezone.utc)
            asked.placed_before.CopyFrom(to_timestamp(end))
        return asked

    def query(self) -> str:
        """These filters as a query string's pairs, for the next page's link."""
        pairs = {"status": self.status, "email": self.email, "from": self.placed_from, "to": self.placed_to}
        return "&".join(f"{key}={value}" for key, value in pairs.items() if value)


def day(text: str) -> date | None:
    """A date typed as 2026-12-05 (ValueError otherwise); None for an empty one."""
    return date.fromisoformat(text) if text else None


def label(enum_type, number: int) -> str:
    """An enum value as a person reads it: PAYMENT_STATUS_CAPTURED → "Captured". """
    name = enum_type.Name(number)
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.DESCRIPTOR.name).upper() + "_"
    return name.removeprefix(prefix).replace("_", " ").capitalize()


def when(stamp: Timestamp) -> str:
    """A time the page shows, in UTC to the second; "" for an unset one."""
    if not stamp.seconds and not stamp.nanos:
        return ""
    return stamp.ToDatetime(tzinfo=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def cause_text(cause: str) -> str:
    """What moved an order, in a few words."""
    known = {"PlaceOrder": "placed at checkout", "CancelOrder": "cancelled by the customer",
             "CancelAnyOrder": "cancelled by an admin", "recorded times": "from the order's recorded times"}
    if cause in known:
        return known[cause]
    return f"event {cause.rsplit('.', 1)[-1]}" if cause else ""


def cancellable(order: checkout_pb2.Order) -> bool:
    return order.status in (checkout_pb2.ORDER_STATUS_PLACED, checkout_pb2.ORDER_STATUS_PAID)
