"""What the dead-letter command reads from a dead-lettered message's headers."""
from datetime import datetime, timezone
from types import SimpleNamespace

from service_runtime import dead_letters, messaging

WHEN = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)


def message(headers: dict, timestamp=None) -> SimpleNamespace:
    return SimpleNamespace(headers=headers, timestamp=timestamp, message_id="evt-1",
                           type="shop.checkout.v1.OrderPlaced")


def test_the_consumers_own_reason_and_queue_come_first():
    letter = dead_letters.read(message({messaging.REASON_HEADER: "failed 5 times; last: LookupError: x",
                                        messaging.FROM_HEADER: "payment.checkout-events"}, WHEN),
                               "payment.checkout-events.dlq")
    assert (letter.reason, letter.source_queue, letter.when) == (
        "failed 5 times; last: LookupError: x", "payment.checkout-events", WHEN)


def test_the_brokers_delivery_limit_is_said_in_words():
    letter = dead_letters.read(message({"x-death": [{"reason": "delivery_limit", "queue": "email.checkout-events",
                                                     "time": WHEN.replace(tzinfo=None)}]}),
                               "email.checkout-events.dlq")
    assert letter.reason.startswith(f"returned to its queue more than {messaging.RETURN_LIMIT} times")
    assert (letter.source_queue, letter.when) == ("email.checkout-events", WHEN)


def test_without_either_the_queue_is_the_dead_letter_queues_own_name_less_dlq():
    letter = dead_letters.read(message({}), "shipping.checkout-events.dlq")
    assert (letter.source_queue, letter.reason, letter.when) == ("shipping.checkout-events", "unknown", None)


def test_a_replayed_message_is_the_original_without_what_dead_lettering_added():
    incoming = SimpleNamespace(body=b"x", content_type="application/x-protobuf", type="t", message_id="evt-1",
                               headers={"traceparent": "00-a-b-01", messaging.REASON_HEADER: "r",
                                        messaging.FROM_HEADER: "q", "x-death": [{}], "x-delivery-count": 3})
    replayed = dead_letters.original(incoming)
    assert replayed.headers == {"traceparent": "00-a-b-01"}
    assert (replayed.body, replayed.type, replayed.message_id) == (b"x", "t", "evt-1")
