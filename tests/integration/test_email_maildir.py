"""The mail directory on a real file system: one whole .eml file per email, written
atomically, replaced (never doubled) by a second attempt at the same email."""
import asyncio
from datetime import datetime, timezone

import pytest

from emailservice.delivery import MailDirDelivery, eml_name
from emailservice.errors import DeliveryFailed
from emailservice.mime import message_bytes
from emailservice.notices import EmailKind
from emailservice.records import EmailRecord
from tests.support.email_builders import parts, read_eml


def record(**changes) -> EmailRecord:
    fields = dict(
        id="5a0c7a9e-0f57-4f3e-9a43-8d1f0e6b2c44", event_id="evt-9", event_type="shop.checkout.v1.OrderPlaced",
        kind=EmailKind.SHIPPED, order_id="ord-9", sender="The Shop <orders@shop.example>",
        recipient="ada@example.com", subject="Your order ord-9 is on its way",
        message_id="<5a0c7a9e-0f57-4f3e-9a43-8d1f0e6b2c44@shop.example>", text="Tracking: CK473124829US\n",
        html="<p>Tracking: CK473124829US</p>\n", created_at=datetime(2025, 3, 12, 9, 30, 5, tzinfo=timezone.utc),
    )
    fields.update(changes)
    return EmailRecord(**fields)


def test_an_email_becomes_one_whole_eml_file_named_by_time_and_id(tmp_path):
    email = record()
    asyncio.run(MailDirDelivery(tmp_path / "mail").deliver(email))
    (path,) = (tmp_path / "mail").iterdir()
    assert path.name == "20250312T093005-5a0c7a9e-0f57-4f3e-9a43-8d1f0e6b2c44.eml" == eml_name(email)
    assert path.read_bytes() == message_bytes(email)
    message = read_eml(path)
    assert message["Message-ID"] == email.message_id
    assert parts(message) == (email.text, email.html)


def test_a_second_attempt_at_the_same_email_replaces_its_file(tmp_path):
    delivery = MailDirDelivery(tmp_path)
    asyncio.run(delivery.deliver(record()))
    asyncio.run(delivery.deliver(record()))
    asyncio.run(delivery.deliver(record(id="9d6f3c1e-2b4a-4c8d-8e7f-1a2b3c4d5e6f")))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20250312T093005-5a0c7a9e-0f57-4f3e-9a43-8d1f0e6b2c44.eml",
        "20250312T093005-9d6f3c1e-2b4a-4c8d-8e7f-1a2b3c4d5e6f.eml",
    ]


def test_a_mail_directory_that_cannot_be_written_is_a_delivery_failure_worth_retrying(tmp_path):
    in_the_way = tmp_path / "mail"
    in_the_way.write_text("a file where the directory should be")
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(MailDirDelivery(in_the_way).deliver(record()))
    assert not info.value.permanent and str(in_the_way) in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["mail"]
