"""A card number and CVV go into paymentservice and never come out: not in its log, not
in any text or bytes column of its database, not in any event it publishes. Only the
brand and last four digits are kept."""
import random
import re
import uuid

import grpc
import psycopg
import pytest
from google.protobuf import text_format
from google.type import money_pb2
from psycopg import sql

from service_runtime import topology
from shop.checkout.v1 import checkout_pb2, events_pb2 as checkout_events
from shop.payment.v1 import events_pb2 as payment_events, payment_pb2, payment_pb2_grpc
from tests.support.events import drain, listen, new_event_fields, publish
from tests.support.services import wait_until

P = payment_pb2
EVENT_TYPES = {cls.DESCRIPTOR.full_name: cls for cls in (
    payment_events.PaymentCaptured, payment_events.PaymentFailed, payment_events.PaymentRefunded,
    payment_events.PaymentVoided)}


def with_check_digit(partial: str) -> str:
    """The Luhn check digit, computed here independently of the service's own code."""
    for digit in "0123456789":
        number = partial + digit
        total = sum(int(d) if i % 2 == 0 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(reversed(number)))
        if total % 10 == 0:
            return number


def random_card_number(prefix: str, length: int, rng: random.Random) -> str:
    """A number of this run alone, so finding it anywhere can only mean a leak."""
    return with_check_digit(prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1)))


@pytest.fixture(scope="module")
def cards():
    rng = random.Random()
    return [
        # (number as typed, digits, cvv)
        (f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}", n, "".join(rng.choice("123456789") for _ in range(3)))
        for n in [random_card_number("4", 16, rng), random_card_number("51", 16, rng)]
    ] + [
        (f"{n[:4]} {n[4:10]} {n[10:]}", n, "".join(rng.choice("123456789") for _ in range(4)))
        for n in [random_card_number("37", 15, rng)]
    ] + [
        ("4000 0000 0000 0002", "4000000000000002", "731"),   # declined
        ("4000 0000 0000 0341", "4000000000000341", "842"),   # captured, then refused
    ]


UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


def leaks(text: str, cards, *, cvv_text: str | None = None) -> list[str]:
    """Each card number (or eight digits of it beyond the last four) found in text, and each
    CVV found in cvv_text (text itself unless given)."""
    found = []
    cvv_text = text if cvv_text is None else cvv_text
    for typed, digits, cvv in cards:
        fragments = {typed, digits, digits[:-4]} | ({digits[i:i + 8] for i in range(len(digits) - 11)}
                                                   if not digits.startswith("4000") else set())
        found += [f"number ending {digits[-4:]}" for fragment in fragments if fragment in text][:1]
        # A CVV standing alone: not inside a longer number, an id or a decimal. A random UUID's
        # four-character group is all digits now and then, and so spells a four-digit CVV.
        if re.search(rf"(?<![\w.]){cvv}(?![\w.])", UUID.sub(" ", cvv_text)):
            found.append(f"CVV of the card ending {digits[-4:]}")
    return found


def string_values(message) -> list[str]:
    """Every string field's value in a protobuf message, nested ones included."""
    values = []
    for field, value in message.ListFields():
        items = value if field.is_repeated else [value]
        for item in items:
            if field.type == field.TYPE_MESSAGE:
                values += string_values(item)
            elif field.type == field.TYPE_STRING:
                values.append(item)
    return values


def order_placed(payment):
    order = checkout_pb2.Order(id=payment.order_id, payment_id=payment.id, currency_code="USD",
                               total=payment.amount, status=checkout_pb2.ORDER_STATUS_PLACED)
    return checkout_events.OrderPlaced(order_id=payment.order_id, order=order, **new_event_fields())


@pytest.fixture(scope="module")
def traffic(payment_channel, payment_service, rabbitmq, postgres, cards):
    """Payments made with each card, every change after authorization included, and every
    event they caused read back from payment.events, and the log lines written meanwhile (the
    service is the session's: earlier tests' lines, such as "[Errno 111]" from a broker
    outage, could spell a three-digit CVV by chance)."""
    log_start = len(payment_service.log_text())
    stub = payment_pb2_grpc.PaymentServiceStub(payment_channel)
    queue = listen(rabbitmq.url, topology.PAYMENT_EVENTS)
    made = []
    for typed, digits, cvv in cards:
        request = P.AuthorizeRequest(
            order_id=f"order-{uuid.uuid4().hex}", amount=money_pb2.Money(currency_code="USD", units=20),
            credit_card=P.CreditCard(number=typed, cvv=cvv, expiry_month=12, expiry_year=2031,
                                     holder_name="Grace Hopper"))
        try:
            made.append(stub.Authorize(request, timeout=10).payment)
        except grpc.RpcError as refusal:  # the declining card: recorded as DECLINED
            assert refusal.code() == grpc.StatusCode.FAILED_PRECONDITION
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, *[order_placed(p) for p in made])
    final = {P.PAYMENT_STATUS_CAPTURED, P.PAYMENT_STATUS_FAILED}
    wait_until(lambda: all(stub.GetPayment(P.GetPaymentRequest(payment_id=p.id), timeout=10).payment.status in final
                           for p in made), 20, "every payment captured or failed")
    stub.Refund(P.RefundRequest(payment_id=made[0].id, reason="a refund, for good measure"), timeout=10)
    database_url = postgres.url("payment_test")

    def outbox_empty():
        with psycopg.connect(database_url) as conn:
            return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0

    wait_until(outbox_empty, 20, "every event relayed")
    ids = {p.id for p in made}
    events = [(message, EVENT_TYPES[message.type].FromString(message.body)) for message in drain(rabbitmq.url, queue)]
    return {"payments": made, "events": [(m, e) for m, e in events if e.payment_id in ids],
            "log": payment_service.log_text()[log_start:]}


def test_the_payments_keep_brand_and_last_four(traffic, cards):
    assert [(p.card_last4, p.card_brand) for p in traffic["payments"]] == [
        (cards[0][1][-4:], P.CARD_BRAND_VISA), (cards[1][1][-4:], P.CARD_BRAND_MASTERCARD),
        (cards[2][1][-4:], P.CARD_BRAND_AMERICAN_EXPRESS), ("0341", P.CARD_BRAND_VISA)]


def test_no_card_number_or_cvv_in_the_log(traffic, cards):
    log = traffic["log"]
    assert "PaymentService/Authorize" in log  # the calls were logged, and the log is the right one
    assert leaks(log, cards) == []


def test_no_card_number_or_cvv_or_holder_name_in_the_database(traffic, cards, postgres):
    with psycopg.connect(postgres.url("payment_test")) as conn:
        columns = conn.execute(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')
               ORDER BY table_name, column_name""").fetchall()
        assert {("payments", "card_last4"), ("outbox", "body"), ("refunds", "reason")} <= {c[:2] for c in columns}
        for table, column, data_type in columns:
            if (table, column) == ("outbox", "body"):
                continue  # below, decoded
            rows = conn.execute(sql.SQL("SELECT {} FROM {}").format(sql.Identifier(column), sql.Identifier(table)))
            for (value,) in rows:
                text = bytes(value).decode("latin-1") if data_type == "bytea" and value is not None else str(value)
                assert leaks(text, cards) == [], f"{table}.{column}"
                assert "Grace Hopper" not in text, f"{table}.{column}"
        # An event's bytes are binary: its integers can spell three digits in latin-1 by chance.
        # Numbers are looked for in the raw bytes, CVVs and names in its decoded string fields.
        outbox = conn.execute("SELECT message_type, body FROM outbox").fetchall()
        assert len(outbox) >= len(traffic["payments"])
        for message_type, body in outbox:
            strings = "\n".join(string_values(EVENT_TYPES[message_type].FromString(bytes(body))))
            assert leaks(bytes(body).decode("latin-1"), cards, cvv_text=strings) == [], f"outbox {message_type}"
            assert "Grace Hopper" not in strings, f"outbox {message_type}"
        last4 = {row[0] for row in conn.execute("SELECT card_last4 FROM payments")}
    assert {digits[-4:] for _, digits, _ in cards} <= last4


def test_no_card_number_or_cvv_in_any_event(traffic, cards):
    kinds = [type(event).__name__ for _, event in traffic["events"]]
    assert sorted(kinds) == ["PaymentCaptured", "PaymentCaptured", "PaymentCaptured", "PaymentFailed",
                             "PaymentRefunded"]
    for message, event in traffic["events"]:
        text = text_format.MessageToString(event) + message.body.decode("latin-1") + repr(message.headers)
        assert leaks(text, cards) == [] and "Grace Hopper" not in text
