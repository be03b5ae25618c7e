"""The RFC 5322 message built from a recorded email: headers, a plain-text and an HTML
alternative, and the same bytes on every attempt."""
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest

from emailservice import mime
from emailservice.mime import message_bytes, new_message_id, sender_address
from emailservice.notices import EmailKind
from emailservice.records import EmailRecord

EMAIL_ID = "0b7e3d4c-9a51-4a8e-b3a7-2f9e7f1f6c11"


def record(**changes) -> EmailRecord:
    fields = dict(
        id=EMAIL_ID, event_id="evt-1", event_type="shop.checkout.v1.OrderPlaced", kind=EmailKind.ORDER_RECEIVED,
        order_id="ord-1", sender="The Shop <orders@shop.example>", recipient="erika@example.com",
        subject="We've received your order ord-1", message_id=f"<{EMAIL_ID}@shop.example>",
        text="Hello Erika Müller,\n\nThanks for your order!\n", html="<p>Hello Erika Müller,</p>\n",
        created_at=datetime(2025, 3, 12, 9, 30, 5, tzinfo=timezone.utc),
    )
    fields.update(changes)
    return EmailRecord(**fields)


def parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def content(part) -> str:
    """A part's text with its line ends as a mail reader shows them (the wire has CRLF)."""
    return part.get_content().replace("\r\n", "\n")


def test_the_message_has_the_headers_a_mail_reader_expects():
    message = parse(message_bytes(record()))
    assert message["Message-ID"] == f"<{EMAIL_ID}@shop.example>"
    assert message["From"] == "The Shop <orders@shop.example>" and message["To"] == "erika@example.com"
    assert message["Subject"] == "We've received your order ord-1"
    assert parsedate_to_datetime(message["Date"]) == datetime(2025, 3, 12, 9, 30, 5, tzinfo=timezone.utc)
    assert message["MIME-Version"] == "1.0"
    assert message["X-Shop-Order-Id"] == "ord-1" and message["X-Shop-Email-Kind"] == "order_received"


def test_the_body_is_multipart_alternative_with_text_first_and_html_preferred():
    message = parse(message_bytes(record()))
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert content(message.get_body(preferencelist=("plain",))) == "Hello Erika Müller,\n\nThanks for your order!\n"
    assert content(message.get_body()) == "<p>Hello Erika Müller,</p>\n"
    assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())


def test_lines_are_crlf_terminated_ascii_within_the_smtp_limit():
    subject = " ".join(["Ünïcödé"] * 20)
    data = message_bytes(record(html="<p>" + "ä" * 500 + "</p>", subject=subject))
    data.decode("ascii")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert parse(data)["Subject"] == subject


def test_the_same_record_always_gives_the_same_bytes():
    assert message_bytes(record()) == message_bytes(record())


@pytest.mark.parametrize("field", ["recipient", "subject"])
def test_a_line_break_cannot_smuggle_a_header_in(field):
    with pytest.raises(ValueError):
        message_bytes(record(**{field: "x@example.com\r\nBcc: everyone@example.com"}))


def test_message_ids_are_in_the_senders_domain():
    assert new_message_id("abc", "The Shop <orders@shop.example>") == "<abc@shop.example>"
    assert sender_address("The Shop <orders@shop.example>") == "orders@shop.example"


def test_header_classes_made_once_give_the_bytes_the_standard_registry_gives(monkeypatch):
    registry = mime.POLICY.header_factory
    assert registry["Subject"] is registry["subject"] and registry["To"] is not registry["Subject"]
    unusual = record(subject=" ".join(["Ünïcödé"] * 20), recipient="Erika Müller <erika@example.com>")
    reused = [message_bytes(r) for r in (record(), unusual)]
    monkeypatch.setattr(mime, "POLICY", policy.SMTP)
    assert reused == [message_bytes(r) for r in (record(), unusual)]
