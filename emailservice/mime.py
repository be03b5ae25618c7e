"""RFC 5322 messages: multipart/alternative with the plain-text part first and the HTML
part last (the one a mail client prefers), built with the standard library. The same
record always gives the same bytes, so a retried delivery sends the very same message."""
from __future__ import annotations

from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from emailservice.records import EmailRecord


class ReusedHeaderClasses(HeaderRegistry):
    """The standard header registry, but each header's class is made once: the standard one
    makes a new class (a `type()` call) every time a header is set or read, which was a
    third of the time an email took to build (docs/performance.md). The class depends only
    on the header's name, so the bytes are the same."""

    def __init__(self):
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made


# CRLF line ends and lines folded at 78 characters: what SMTP and .eml readers expect.
POLICY = policy.SMTP.clone(header_factory=ReusedHeaderClasses())


def sender_address(sender: str) -> str:
    """The bare address of a From value: "The Shop <orders@shop.example>" -> orders@shop.example."""
    return parseaddr(sender)[1]


def new_message_id(email_id: str, sender: str) -> str:
    """A Message-ID unique to the email, in the sender's domain."""
    domain = Address(addr_spec=sender_address(sender)).domain
    return f"<{email_id}@{domain}>"


def build_message(email: EmailRecord) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(email.created_at)
    message["From"] = email.sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["X-Shop-Order-Id"] = email.order_id
    message["X-Shop-Email-Kind"] = email.kind.value
    message.set_content(email.text, subtype="plain", cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    # A fixed boundary instead of a random one, so the bytes depend only on the record.
    message.set_boundary(f"=_alt_{email.id}")
    return message


def message_bytes(email: EmailRecord) -> bytes:
    return build_message(email).as_bytes(policy=POLICY)
