"""ListSentEmails' paging and filters, and GetSentEmail's ids, checked before any query."""
from datetime import datetime, timezone

import pytest

from emailservice.errors import EmailNotFound, InvalidArgument
from emailservice.listing import Cursor, check_email_id, encode_page_token, list_query, page
from emailservice.notices import EmailKind
from emailservice.records import DeliveryState, EmailRecord

ID = "6f1c2a9e-3b0d-4c55-9d7e-0a1b2c3d4e5f"


def query(**changes):
    fields = dict(recipient="", order_id="", kind=None, page_size=0, page_token="")
    fields.update(changes)
    return list_query(**fields)


def sent(n: int) -> EmailRecord:
    return EmailRecord(
        id=f"00000000-0000-4000-8000-{n:012d}", event_id=f"e{n}", event_type="t", kind=EmailKind.SHIPPED,
        order_id="o", sender="s@x.y", recipient="r@x.y", subject="s", message_id=f"<{n}@x.y>", text="", html="",
        created_at=datetime(2025, 1, 1, tzinfo=timezone.utc), state=DeliveryState.SENT,
        sent_at=datetime(2025, 1, 1, 0, 0, n, 123456, tzinfo=timezone.utc),
    )


def test_page_size_zero_means_twenty_and_up_to_a_hundred_is_allowed():
    assert query().limit == 20 and query(page_size=100).limit == 100 and query(page_size=1).limit == 1


@pytest.mark.parametrize("changes", [{"page_size": -1}, {"page_size": 101}, {"recipient": "x" * 255},
                                     {"order_id": "o" * 101}])
def test_out_of_range_requests_are_invalid(changes):
    with pytest.raises(InvalidArgument):
        query(**changes)


def test_a_full_page_carries_a_token_to_the_position_after_its_last_email():
    first = query(page_size=2, recipient="R@X.Y")
    result = page(first, [sent(3), sent(2), sent(1)], total=3)
    assert [e.id for e in result.emails] == [sent(3).id, sent(2).id] and result.total_size == 3
    following = query(page_size=2, recipient="r@x.y", page_token=result.next_page_token)
    assert following.after == Cursor(sent(2).sent_at, sent(2).id)


def test_the_last_page_has_no_token():
    assert page(query(page_size=2), [sent(2), sent(1)], total=2).next_page_token == ""
    assert page(query(), [], total=0).next_page_token == ""


@pytest.mark.parametrize("token", ["garbage", "eyJ0IjogMX0", encode_page_token(Cursor(datetime(2025, 1, 1), ID), "x")])
def test_a_token_this_service_did_not_issue_is_invalid(token):
    with pytest.raises(InvalidArgument, match="page_token"):
        query(page_token=token)


def test_a_token_cannot_be_used_with_other_filters():
    token = page(query(page_size=1, kind=EmailKind.SHIPPED), [sent(2), sent(1)], total=2).next_page_token
    with pytest.raises(InvalidArgument, match="other filters"):
        query(page_size=1, kind=EmailKind.REFUNDED, page_token=token)


def test_email_ids_are_uuids_and_anything_else_names_no_email():
    assert check_email_id(ID.upper()) == ID
    with pytest.raises(InvalidArgument):
        check_email_id(" ")
    with pytest.raises(EmailNotFound):
        check_email_id("not-an-id")
