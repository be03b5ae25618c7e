"""Listing sent emails: filters checked, pages newest first. A page token holds the
position after the page's last email (its sent time and id), so emails sent meanwhile
neither shift nor repeat the pages after it, and a fingerprint of the filters, so a
token is not used with filters it was not issued for."""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from emailservice.errors import EmailNotFound, InvalidArgument
from emailservice.notices import EmailKind
from emailservice.records import EmailRecord

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_RECIPIENT = 254
MAX_ORDER_ID = 100


@dataclass(frozen=True)
class Cursor:
    sent_at: datetime
    email_id: str


@dataclass(frozen=True)
class ListQuery:
    # "" for every recipient; compared case-insensitively.
    recipient: str
    # "" for every order.
    order_id: str
    # None for every kind.
    kind: EmailKind | None
    limit: int
    # Start after this position; None for the first page.
    after: Cursor | None

    @property
    def fingerprint(self) -> str:
        filters = json.dumps([self.recipient.lower(), self.order_id, self.kind.value if self.kind else ""])
        return hashlib.sha256(filters.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Page:
    emails: list[EmailRecord]
    next_page_token: str
    total_size: int


def list_query(*, recipient: str, order_id: str, kind: EmailKind | None, page_size: int,
               page_token: str) -> ListQuery:
    recipient, order_id = recipient.strip(), order_id.strip()
    if not 0 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"page_size must be between 1 and {MAX_PAGE_SIZE} (0 for the default {DEFAULT_PAGE_SIZE})")
    if len(recipient) > MAX_RECIPIENT:
        raise InvalidArgument(f"recipient must be at most {MAX_RECIPIENT} characters")
    if len(order_id) > MAX_ORDER_ID:
        raise InvalidArgument(f"order_id must be at most {MAX_ORDER_ID} characters")
    query = ListQuery(recipient=recipient, order_id=order_id, kind=kind, limit=page_size or DEFAULT_PAGE_SIZE,
                      after=None)
    if page_token:
        query = replace(query, after=decode_page_token(page_token, query.fingerprint))
    return query


def encode_page_token(cursor: Cursor, fingerprint: str) -> str:
    raw = json.dumps({"t": cursor.sent_at.isoformat(), "i": cursor.email_id, "f": fingerprint})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(token: str, fingerprint: str) -> Cursor:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor = Cursor(sent_at=datetime.fromisoformat(raw["t"]), email_id=str(uuid.UUID(raw["i"])))
        issued_for = raw["f"]
        if cursor.sent_at.tzinfo is None:
            raise ValueError("naive time")
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidArgument("page_token is not one this service issued") from None
    if issued_for != fingerprint:
        raise InvalidArgument("page_token was issued for other filters; send the same filters with it")
    return cursor


def page(query: ListQuery, found: list[EmailRecord], total: int) -> Page:
    """A page from up to limit + 1 emails found after the query's position: the extra one
    only tells that another page follows."""
    emails = found[: query.limit]
    more = len(found) > query.limit
    token = encode_page_token(Cursor(emails[-1].sent_at, emails[-1].id), query.fingerprint) if more else ""
    return Page(emails=emails, next_page_token=token, total_size=total)


def check_email_id(email_id: str) -> str:
    """The id in its canonical form. An id that is not a UUID names no email."""
    email_id = email_id.strip()
    if not email_id:
        raise InvalidArgument("id is required")
    try:
        return str(uuid.UUID(email_id))
    except ValueError:
        raise EmailNotFound(email_id) from None
