"""RabbitMQ stopped while orders are placed: every order is accepted, its events wait in
the outbox (and checkout's /metrics shows them waiting), and once the broker returns every
event is delivered and acted on once."""
import psycopg

from shop.checkout.v1 import checkout_pb2_grpc
from shop.email.v1 import email_pb2, email_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import fill_cart, new_shopper, place_request, stock_of, wait_for_status
from tests.support import metrics
from tests.support.services import wait_until


def test_orders_placed_while_the_broker_is_down_all_ship_after_it_returns(
        rabbitmq, postgres, checkout_service, checkout_channel, cart_channel, catalog_channel, email_channel):
    checkout = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)
    product = create_product(catalog_channel, stock=10)
    shoppers = [new_shopper() for _ in range(3)]
    rabbitmq.stop()
    try:
        placed = []
        for number, owner in enumerate(shoppers):
            fill_cart(cart_channel, owner, (product.id, 1))
            placed.append(checkout.PlaceOrder(place_request(owner, email=f"outage-{number}-{owner[-6:]}@example.com"),
                                              timeout=20).order)
        assert stock_of(catalog_channel, product.id) == 7, "every order was accepted"
        with psycopg.connect(postgres.url("checkout_test")) as conn:
            waiting = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
        assert waiting >= 3, "their events wait in the outbox"
        metrics.wait_for(checkout_service.http_url, "outbox_backlog", 3, timeout=10)
        assert metrics.wait_for(checkout_service.http_url, "outbox_oldest_unsent_age_seconds", 0.5, timeout=10) < 120
    finally:
        rabbitmq.start()

    for owner, order in zip(shoppers, placed):
        wait_for_status(checkout_channel, owner, order.id, "SHIPPED", timeout=90)
    emails = email_pb2_grpc.EmailServiceStub(email_channel)
    for order in placed:
        def kinds():
            sent = emails.ListSentEmails(email_pb2.ListSentEmailsRequest(recipient=order.email, order_id=order.id),
                                         timeout=5).emails
            return sorted(email_pb2.EmailKind.Name(e.kind) for e in sent)
        wait_until(lambda: len(kinds()) >= 3, 30, f"the emails of {order.id}")
        assert kinds() == ["EMAIL_KIND_ORDER_RECEIVED", "EMAIL_KIND_PAYMENT_CONFIRMED", "EMAIL_KIND_SHIPPED"], \
            "each email once, none twice"
    with psycopg.connect(postgres.url("checkout_test")) as conn:
        assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0
    wait_until(lambda: metrics.value(checkout_service.http_url, "outbox_backlog") == 0, 10, "the backlog gauge at 0")
    assert metrics.value(checkout_service.http_url, "outbox_oldest_unsent_age_seconds") == 0
