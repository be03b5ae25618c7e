"""Each fault flag but payment's (tests/integration/test_fault_flags_payment.py has those,
and how fast a change reaches two replicas) against a real service of its own that
watches this module's flag file: turned on with the operators' command, its effect seen,
on the span and in /metrics too; turned off, the effect gone. Each service has its own
database and RabbitMQ vhost, so no other test's service sees these flags' effects."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import aio_pika
import grpc
import pytest
from google.type import money_pb2

from service_runtime import topology
from service_runtime.fault_flags import FLAGS_FILE_ENV
from service_runtime.tracing import TRACE_FILE_ENV
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.email.v1 import email_pb2_grpc
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc
from tests.support import metrics
from tests.support.email_builders import eml_files_to, order, placed, wait_for_emails
from tests.support.events import publish
from tests.support.services import ServiceProcess, wait_until
from tests.support.spans import read_spans

# The provider looks at the file twice a second; 5 s is the documented bound.
REACH_SECONDS = 5


@pytest.fixture(scope="module")
def flag_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fault-flags") / "flags.json"


@pytest.fixture(autouse=True)
def every_flag_off_after(flag_file):
    yield
    flags(flag_file, "reset")


def flags(flag_file, *args) -> None:
    subprocess.run([sys.executable, "-m", "service_runtime.fault_flags", "--file", str(flag_file), *args],
                   capture_output=True, text=True, timeout=30, check=True)


def active(service, flag: str) -> float:
    return metrics.value(service.http_url, "shop_fault_flag_active", flag=flag)


def effects(service, flag: str) -> float:
    return metrics.value(service.http_url, "shop_fault_flag_effects_total", flag=flag)


def spans_naming(trace_file, flag: str) -> list[dict]:
    return [span for span in read_spans(trace_file) if span["attributes"].get("shop.fault_flag") == flag]


def timed(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


@pytest.fixture(scope="module")
def flagged_catalog(postgres, rabbitmq, artifacts_dir, flag_file, tmp_path_factory):
    postgres.create_databases(["catalog_flags_test"])
    trace_file = tmp_path_factory.mktemp("catalog-spans") / "spans.jsonl"
    with rabbitmq.vhost(f"flags-catalog-{uuid.uuid4().hex[:8]}") as amqp_url, \
            ServiceProcess("catalogservice", {"DATABASE_URL": postgres.url("catalog_flags_test"), "AMQP_URL": amqp_url,
                                              FLAGS_FILE_ENV: str(flag_file), TRACE_FILE_ENV: str(trace_file)},
                           artifacts_dir / "catalogservice-flags.log") as service:
        service.trace_file = trace_file
        yield service


def test_catalog_latency_slows_every_catalog_read_until_it_is_off(flagged_catalog, flag_file):
    with grpc.insecure_channel(flagged_catalog.address) as channel:
        catalog = catalog_pb2_grpc.CatalogServiceStub(channel)

        def read():
            catalog.GetProduct(catalog_pb2.GetProductRequest(id="stoneware-mug"), timeout=10)
            catalog.ListCategories(catalog_pb2.ListCategoriesRequest(), timeout=10)

        assert timed(read) < 0.5
        flags(flag_file, "set", "catalogLatency", "600")
        wait_until(lambda: active(flagged_catalog, "catalogLatency") == 1, REACH_SECONDS, "the flag on")
        assert timed(read) >= 1.2  # 600 ms on each of the two reads
        assert effects(flagged_catalog, "catalogLatency") >= 2
        wait_until(lambda: spans_naming(flagged_catalog.trace_file, "catalogLatency"), 10, "a span naming the flag")
        flags(flag_file, "off", "catalogLatency")
        wait_until(lambda: active(flagged_catalog, "catalogLatency") == 0, REACH_SECONDS, "the flag off")
        assert timed(read) < 0.5
    assert '"flag": "catalogLatency"' in flagged_catalog.log_text()


@pytest.fixture(scope="module")
def flagged_cart(redis_server, catalog_service, artifacts_dir, flag_file):
    with ServiceProcess("cartservice", {"REDIS_URL": redis_server.url, "CATALOG_ADDR": catalog_service.address,
                                        FLAGS_FILE_ENV: str(flag_file)},
                        artifacts_dir / "cartservice-flags.log") as service:
        yield service


def test_cart_failure_refuses_every_change_but_not_reading(flagged_cart, flag_file):
    owner = f"guest:flags-{uuid.uuid4().hex[:8]}"
    with grpc.insecure_channel(flagged_cart.address) as channel:
        cart = cart_pb2_grpc.CartServiceStub(channel)

        def add():
            return cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id="stoneware-mug", quantity=1),
                                timeout=10)

        add()
        flags(flag_file, "on", "cartFailure")
        wait_until(lambda: active(flagged_cart, "cartFailure") == 1, REACH_SECONDS, "the flag on")
        for change in (add, lambda: cart.EmptyCart(cart_pb2.EmptyCartRequest(owner_id=owner), timeout=10)):
            with pytest.raises(grpc.RpcError) as refused:
                change()
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert refused.value.details() == "the cart cannot be changed right now; try again shortly"
        kept = cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=10).cart
        assert [(i.product_id, i.quantity) for i in kept.items] == [("stoneware-mug", 1)]
        flags(flag_file, "off", "cartFailure")
        wait_until(lambda: active(flagged_cart, "cartFailure") == 0, REACH_SECONDS, "the flag off")
        assert [(i.product_id, i.quantity) for i in add().cart.items] == [("stoneware-mug", 2)]
    assert effects(flagged_cart, "cartFailure") == 2


@pytest.fixture(scope="module")
def flagged_shipping(postgres, rabbitmq, catalog_service, artifacts_dir, flag_file):
    postgres.create_databases(["shipping_flags_test"])
    with rabbitmq.vhost(f"flags-shipping-{uuid.uuid4().hex[:8]}") as amqp_url, \
            ServiceProcess("shippingservice", {"DATABASE_URL": postgres.url("shipping_flags_test"),
                                               "AMQP_URL": amqp_url, "CATALOG_ADDR": catalog_service.address,
                                               FLAGS_FILE_ENV: str(flag_file)},
                           artifacts_dir / "shippingservice-flags.log") as service:
        yield service


def test_shipping_slowdown_slows_quotes_abroad_and_not_at_home(flagged_shipping, flag_file):
    def quote(country, postal_code, region=""):
        request = shipping_pb2.GetQuoteRequest(
            address=shipping_pb2.Address(name="Ada Lovelace", address_lines=["1 Main Street"], city="Springfield",
                                         region=region, postal_code=postal_code, country_code=country),
            items=[shipping_pb2.ShipmentItem(product_id="stoneware-mug", quantity=1)], currency_code="USD",
            subtotal=money_pb2.Money(currency_code="USD", units=20))
        with grpc.insecure_channel(flagged_shipping.address) as channel:
            return timed(lambda: shipping_pb2_grpc.ShippingServiceStub(channel).GetQuote(request, timeout=10))

    abroad, home = ("DE", "51147"), ("US", "62701", "IL")
    flags(flag_file, "set", "shippingSlowdown", "800")
    wait_until(lambda: active(flagged_shipping, "shippingSlowdown") == 1, REACH_SECONDS, "the flag on")
    assert quote(*abroad) >= 0.8
    assert quote(*home) < 0.5
    flags(flag_file, "off", "shippingSlowdown")
    wait_until(lambda: active(flagged_shipping, "shippingSlowdown") == 0, REACH_SECONDS, "the flag off")
    assert quote(*abroad) < 0.5
    assert effects(flagged_shipping, "shippingSlowdown") == 1


@pytest.fixture(scope="module")
def flagged_email(postgres, rabbitmq, artifacts_dir, flag_file, tmp_path_factory):
    postgres.create_databases(["email_flags_test"])
    mail_dir = tmp_path_factory.mktemp("flagged-mail")
    with rabbitmq.vhost(f"flags-email-{uuid.uuid4().hex[:8]}") as amqp_url, \
            ServiceProcess("emailservice", {"DATABASE_URL": postgres.url("email_flags_test"), "AMQP_URL": amqp_url,
                                            "MAIL_DIR": str(mail_dir), "EMAIL_RETRY_MIN_SECONDS": "0.5",
                                            "EMAIL_RETRY_MAX_SECONDS": "1", FLAGS_FILE_ENV: str(flag_file)},
                           artifacts_dir / "emailservice-flags.log") as service:
        service.amqp_url, service.mail_dir = amqp_url, mail_dir
        yield service


def test_email_failure_makes_deliveries_wait_and_retry_then_go(flagged_email, flag_file):
    flags(flag_file, "on", "emailFailure")
    wait_until(lambda: active(flagged_email, "emailFailure") == 1, REACH_SECONDS, "the flag on")
    the_order = order()
    publish(flagged_email.amqp_url, topology.CHECKOUT_EVENTS, placed(the_order))
    wait_until(lambda: metrics.value(flagged_email.http_url, "email_outcomes_total", outcome="retrying") >= 2, 20,
               "two failed attempts, each to be retried")
    assert eml_files_to(flagged_email.mail_dir, the_order.email) == []
    flags(flag_file, "off", "emailFailure")
    with grpc.insecure_channel(flagged_email.address) as channel:
        wait_for_emails(email_pb2_grpc.EmailServiceStub(channel), the_order.email, 1)
    assert len(eml_files_to(flagged_email.mail_dir, the_order.email)) == 1
    assert effects(flagged_email, "emailFailure") >= 2


def waiting_messages(amqp_url: str, queue: str) -> int:
    async def count() -> int:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            declared = await channel.declare_queue(queue, passive=True)
            return declared.declaration_result.message_count

    return asyncio.run(count())


def test_consumer_paused_leaves_the_messages_waiting_then_catches_up(flagged_email, flag_file):
    flags(flag_file, "set", "consumerPaused", "shipping,email")
    wait_until(lambda: active(flagged_email, "consumerPaused") == 1, REACH_SECONDS, "the flag on")
    wait_until(lambda: effects(flagged_email, "consumerPaused") >= 1, REACH_SECONDS, "the consumer paused")
    orders = [order() for _ in range(3)]
    publish(flagged_email.amqp_url, topology.CHECKOUT_EVENTS, *(placed(o) for o in orders))
    wait_until(lambda: waiting_messages(flagged_email.amqp_url, "email.checkout-events") == 3, 10,
               "the three events waiting in the queue")
    time.sleep(1)
    assert all(eml_files_to(flagged_email.mail_dir, o.email) == [] for o in orders)
    flags(flag_file, "off", "consumerPaused")
    with grpc.insecure_channel(flagged_email.address) as channel:
        for the_order in orders:
            wait_for_emails(email_pb2_grpc.EmailServiceStub(channel), the_order.email, 1)
    assert waiting_messages(flagged_email.amqp_url, "email.checkout-events") == 0
    assert "consuming again" in flagged_email.log_text()
