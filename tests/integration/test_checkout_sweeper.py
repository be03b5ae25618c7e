"""The abandoned-checkout sweeper against the real catalog, payment service and
PostgreSQL. A checkout process that died between reserving stock and storing its order
is reproduced exactly as it leaves things: ReserveStock and Authorize called for an order
id, and the attempt row checkout writes before reserving. A checkout of its own (its own
database and vhost, a 2-second sweep age) then gives the stock back, voids the payment
and deletes the attempt, and never touches an order that was stored, even one stored
while the sweeper was looking. In-process tests show the lock both ways and a failed
sweep retried."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import grpc
import psycopg
import pytest
from psycopg.types.json import Jsonb

from checkoutservice import orders
from checkoutservice.abandonment import Outcome
from checkoutservice.clients import CatalogClient, PaymentClient
from checkoutservice.errors import OrderNotFound
from checkoutservice.repository import AttemptGone, OrderRepository
from checkoutservice.sweeper import AbandonedCheckoutSweeper
from service_runtime import clients, db, schema
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2_grpc
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd
from tests.integration.checkout_helpers import (DECLINED_CARD, GOOD_CARD, fill_cart, new_shopper, place_request,
                                                stock_of)
from tests.support import metrics, scale
from tests.support.net import free_port
from tests.support.services import ServiceProcess, wait_until

pytestmark = pytest.mark.slow

MIGRATIONS = Path(__file__).resolve().parents[2] / "checkoutservice" / "migrations"
SWEEP_AGE = 2.0


@pytest.fixture(scope="module")
def sweeping(postgres, rabbitmq, catalog_service, cart_service, shipping_service, payment_service, artifacts_dir):
    """A checkoutservice that sweeps attempts older than SWEEP_AGE seconds. Its own vhost:
    nothing captures its orders, so an order's payment stays AUTHORIZED, and a void by the
    sweeper would show."""
    with scale.own_backing(postgres, rabbitmq, "sweeper", ["checkout"]) as backing:
        service = ServiceProcess("checkoutservice", {
            "DATABASE_URL": backing.databases["checkout"], "AMQP_URL": backing.amqp_url,
            "CART_ADDR": cart_service.address, "CATALOG_ADDR": catalog_service.address,
            "SHIPPING_ADDR": shipping_service.address, "PAYMENT_ADDR": payment_service.address,
            "ABANDONED_CHECKOUT_AFTER_SECONDS": str(SWEEP_AGE), "ABANDONED_CHECKOUT_SWEEP_SECONDS": "0.3",
        }, artifacts_dir / f"checkoutservice-sweeper-{backing.suffix}.log")
        with service:
            yield service, backing.databases["checkout"]


def new_order_id() -> str:
    return orders.new_order_id()


def reserve(catalog_channel, order_id: str, product_id: str, quantity: int) -> None:
    catalog_pb2_grpc.CatalogServiceStub(catalog_channel).ReserveStock(catalog_pb2.ReserveStockRequest(
        order_id=order_id, lines=[catalog_pb2.StockLine(product_id=product_id, quantity=quantity)]), timeout=5)


def authorize(payment_channel, order_id: str) -> payment_pb2.Payment:
    return payment_pb2_grpc.PaymentServiceStub(payment_channel).Authorize(payment_pb2.AuthorizeRequest(
        order_id=order_id, amount=usd(29, 970_000_000),
        credit_card=payment_pb2.CreditCard(number=GOOD_CARD, cvv="123", expiry_month=12, expiry_year=2031,
                                           holder_name="Ada Lovelace")), timeout=5).payment


def payment_status(payment_channel, order_id: str) -> str | None:
    try:
        payment = payment_pb2_grpc.PaymentServiceStub(payment_channel).GetPayment(
            payment_pb2.GetPaymentRequest(order_id=order_id), timeout=5).payment
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise
    return payment_pb2.PaymentStatus.Name(payment.status).removeprefix("PAYMENT_STATUS_")


def record_attempt(database_url: str, order_id: str, user_id: str, *, seconds_ago: float = 0) -> None:
    """The row checkout writes before reserving (placing.py)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO checkout_attempts (order_id, user_id, created_at) "
                     "VALUES (%s, %s, now() - make_interval(secs => %s))", (order_id, user_id, seconds_ago))


def attempts(database_url: str, *order_ids: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT order_id FROM checkout_attempts WHERE order_id = ANY(%s)",
                                           (list(order_ids),))]


def swept_lines(service: ServiceProcess, order_id: str) -> list[dict]:
    lines = [json.loads(line) for line in service.log_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("message") == "abandoned checkout swept"
            and line.get("order_id") == order_id]


def test_a_checkout_that_died_after_authorizing_gets_its_stock_back_and_its_payment_voided(
        sweeping, catalog_channel, payment_channel):
    service, database_url = sweeping
    product = create_product(catalog_channel, stock=10)
    released_before = metrics.value(service.http_url, "shop_checkout_abandoned_total", outcome="released")
    order_id, owner = new_order_id(), new_shopper()
    record_attempt(database_url, order_id, owner)
    reserve(catalog_channel, order_id, product.id, 3)
    assert authorize(payment_channel, order_id).status == payment_pb2.PAYMENT_STATUS_AUTHORIZED
    assert stock_of(catalog_channel, product.id) == 7

    wait_until(lambda: not attempts(database_url, order_id), SWEEP_AGE + 15, "the attempt swept")
    assert stock_of(catalog_channel, product.id) == 10
    assert payment_status(payment_channel, order_id) == "VOIDED"
    assert metrics.value(service.http_url, "shop_checkout_abandoned_total", outcome="released") >= released_before + 1
    [line] = wait_until(lambda: swept_lines(service, order_id), 5, "the sweep's log line")
    assert line["outcome"] == "released" and line["user_id"] == owner and line["voided"] is True
    assert line["stock_released"] is True and line["payment_status"] == "AUTHORIZED"
    assert line["age_seconds"] >= SWEEP_AGE and line["level"] == "INFO"


def test_a_checkout_that_died_before_authorizing_gets_its_stock_back(sweeping, catalog_channel, payment_channel):
    service, database_url = sweeping
    product = create_product(catalog_channel, stock=5)
    order_id = new_order_id()
    record_attempt(database_url, order_id, new_shopper())
    reserve(catalog_channel, order_id, product.id, 2)

    wait_until(lambda: not attempts(database_url, order_id), SWEEP_AGE + 15, "the attempt swept")
    assert stock_of(catalog_channel, product.id) == 5
    assert payment_status(payment_channel, order_id) is None
    [line] = swept_lines(service, order_id)
    assert (line["outcome"], line["voided"], line["payment_id"]) == ("released", False, "")


def test_a_checkout_that_died_before_reserving_is_simply_forgotten(sweeping):
    service, database_url = sweeping
    order_id = new_order_id()
    record_attempt(database_url, order_id, new_shopper())
    wait_until(lambda: not attempts(database_url, order_id), SWEEP_AGE + 15, "the attempt swept")
    [line] = swept_lines(service, order_id)
    assert (line["outcome"], line["stock_released"]) == ("released", False), "nothing was held"


def test_placed_and_refused_checkouts_leave_no_attempt_and_a_placed_order_is_never_given_back(
        sweeping, cart_channel, catalog_channel, payment_channel):
    service, database_url = sweeping
    product = create_product(catalog_channel, stock=10)
    owner = new_shopper()
    fill_cart(cart_channel, owner, (product.id, 4))
    with grpc.insecure_channel(service.address) as channel:
        checkout = checkout_pb2_grpc.CheckoutServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            checkout.PlaceOrder(place_request(owner, card=DECLINED_CARD), timeout=20)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        order = checkout.PlaceOrder(place_request(owner), timeout=20).order
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM checkout_attempts WHERE user_id = %s", (owner,)).fetchone()[0] == 0, \
            "storing the order deleted its attempt, and the refused checkout's undo deleted its own"

    # An attempt for a stored order cannot outlive it; if one did, the sweeper would only delete it.
    record_attempt(database_url, order.id, owner, seconds_ago=3600)
    wait_until(lambda: not attempts(database_url, order.id), 15, "the attempt swept")
    assert payment_status(payment_channel, order.id) == "AUTHORIZED", "never voided"
    assert stock_of(catalog_channel, product.id) == 6, "never released"
    [line] = swept_lines(service, order.id)
    assert line["outcome"] == "order_exists" and line["level"] == "WARNING"


def test_an_order_stored_while_the_sweeper_looks_is_never_given_back(sweeping, catalog_channel, payment_channel):
    """The creating transaction (deleting the attempt, then inserting the order, as
    OrderRepository.create does) holds the attempt past its sweep age: the sweeper passes
    it over, and after the commit nothing is left to sweep."""
    service, database_url = sweeping
    product = create_product(catalog_channel, stock=10)
    order_id, owner = new_order_id(), new_shopper()
    record_attempt(database_url, order_id, owner)
    reserve(catalog_channel, order_id, product.id, 1)
    payment = authorize(payment_channel, order_id)
    with psycopg.connect(database_url) as conn:
        with conn.transaction():
            assert conn.execute("DELETE FROM checkout_attempts WHERE order_id = %s AND claimed_until IS NULL",
                                (order_id,)).rowcount == 1
            conn.execute(
                """INSERT INTO orders (id, user_id, email, status, currency, shipping_cost, address, payment_id)
                   VALUES (%s, %s, 'ada@example.com', 'PLACED', 'USD', 0, %s, %s)""",
                (order_id, owner, Jsonb({}), payment.id))
            sweeps = metrics.value(service.http_url, "shop_checkout_abandoned_total")
            time.sleep(SWEEP_AGE + 2)  # several sweeps pass while the attempt is past its age
    assert payment_status(payment_channel, order_id) == "AUTHORIZED"
    assert stock_of(catalog_channel, product.id) == 9
    assert swept_lines(service, order_id) == []
    assert metrics.value(service.http_url, "shop_checkout_abandoned_total") == sweeps


# In-process: the repository's lock and the sweeper's retries, on a database of their own.

@pytest.fixture(scope="module")
def database_url(postgres):
    name = f"checkout_sweeper_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    url = postgres.url(name)
    schema.apply_migrations(url, db.MESSAGING_MIGRATIONS, MIGRATIONS)
    return url


def with_repository(database_url, use, *, pool_size: int = 3):
    async def run():
        pool = await db.open_pool(database_url, max_size=pool_size)
        try:
            await pool.wait()
            return await use(OrderRepository(pool))
        finally:
            await pool.close()

    return asyncio.run(run())


def an_order(order_id: str) -> orders.Order:
    return orders.Order(
        id=order_id, user_id="guest:lock", email="ada@example.com", status=orders.Status.PLACED,
        lines=(orders.Line("mug", "Mug", 1, Decimal("9.99")),),
        address=orders.Address("Ada", ("1 Road",), "Boston", "MA", "02108", "US"), currency="USD",
        shipping_cost=Decimal("0"), payment_id="pay_x")


def test_an_order_cannot_be_stored_once_the_sweeper_has_claimed_its_attempt(database_url):
    order_id = new_order_id()

    async def use(repository: OrderRepository):
        await repository.record_attempt(order_id, "guest:lock")
        claimed = await repository.claim_abandoned_attempt(0.0, lease=60)
        assert claimed.attempt.order_id == order_id and not claimed.order_exists
        # Refused at once, not waiting on a lock; and still refused once the claim ran out.
        with pytest.raises(AttemptGone):
            await asyncio.wait_for(repository.create(an_order(order_id), []), 2)
        assert await repository.end_claim(claimed, forget=False)
        with pytest.raises(AttemptGone):
            await repository.create(an_order(order_id), [])
        with pytest.raises(OrderNotFound):
            await repository.get(order_id)
        assert await repository.attempt_open(order_id), "left for the next sweep"
        again = await repository.claim_abandoned_attempt(0.0, lease=60)
        assert again.attempt.order_id == order_id, "an expired claim is taken again"
        assert not await repository.end_claim(claimed, forget=True), "the old claim is no longer anyone's"
        assert await repository.end_claim(again, forget=True)
        assert not await repository.attempt_open(order_id)

    with_repository(database_url, use)


def test_a_live_claim_keeps_other_sweepers_off(database_url):
    order_id = new_order_id()

    async def use(repository: OrderRepository):
        await repository.record_attempt(order_id, "guest:claims")
        first = await repository.claim_abandoned_attempt(0.0, lease=60)
        assert first.attempt.order_id == order_id
        second = await repository.claim_abandoned_attempt(0.0, lease=60)
        assert second is None or second.attempt.order_id != order_id
        assert await repository.end_claim(first, forget=True)

    with_repository(database_url, use)


def test_a_stored_order_has_no_attempt_left(database_url):
    order_id = new_order_id()

    async def use(repository: OrderRepository):
        await repository.record_attempt(order_id, "guest:lock")
        assert await repository.attempt_open(order_id)
        await repository.create(an_order(order_id), [])
        assert not await repository.attempt_open(order_id)
        claimed = await repository.claim_abandoned_attempt(0.0, lease=60)
        assert claimed is None or claimed.attempt.order_id != order_id

    with_repository(database_url, use)


def payment_queries_waiting(postgres) -> int:
    with psycopg.connect(postgres.url("payment_test")) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()").fetchone()[0]


def test_while_payment_is_slow_the_sweeper_holds_no_lock_or_connection(
        database_url, postgres, catalog_service, payment_service, catalog_channel, payment_channel):
    """The sweeper waits on paymentservice (its payments table locked), with a database
    pool of one connection. Meanwhile a checkout records its attempt and stores its order
    on that same pool, at once; and the claimed attempt's order is refused at once."""
    product = create_product(catalog_channel, stock=4)
    slow_id, flowing_id = new_order_id(), new_order_id()
    reserve(catalog_channel, slow_id, product.id, 1)
    authorize(payment_channel, slow_id)

    async def use(repository: OrderRepository):
        await repository.record_attempt(slow_id, "guest:slow")
        with psycopg.connect(database_url) as conn:
            conn.execute("UPDATE checkout_attempts SET created_at = now() - interval '1 hour' WHERE order_id = %s",
                         (slow_id,))
        catalog = clients.connect(catalog_service.address, timeout=20)
        payment = clients.connect(payment_service.address, timeout=20)
        try:
            sweeper = AbandonedCheckoutSweeper(repository, CatalogClient(catalog), PaymentClient(payment),
                                               older_than=60, interval=1)
            with psycopg.connect(postgres.url("payment_test")) as slow:
                slow.execute("LOCK TABLE payments IN ACCESS EXCLUSIVE MODE")
                sweeping = asyncio.create_task(sweeper.sweep())
                for _ in range(200):
                    if await asyncio.to_thread(payment_queries_waiting, postgres):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the sweeper's GetPayment never waited on the payments table")
                started = time.monotonic()
                await asyncio.wait_for(repository.record_attempt(flowing_id, "guest:flowing"), 2)
                await asyncio.wait_for(repository.create(an_order(flowing_id), []), 2)
                with pytest.raises(AttemptGone):
                    await asyncio.wait_for(repository.create(an_order(slow_id), []), 2)
                took = time.monotonic() - started
                assert not sweeping.done(), "the sweeper was still waiting on payment"
                slow.rollback()  # payment answers again
            swept = {s.attempt.order_id: s for s in await asyncio.wait_for(sweeping, 30)}
            assert swept[slow_id].outcome is Outcome.RELEASED, swept[slow_id]
            assert took < 1.5, f"the checkout's two writes took {took:.1f} s while the sweeper waited"
            assert (await repository.get(flowing_id)).status is orders.Status.PLACED
        finally:
            for channel in (catalog, payment):
                await channel.close()

    with_repository(database_url, use, pool_size=1)
    assert payment_status(payment_channel, slow_id) == "VOIDED"
    assert stock_of(catalog_channel, product.id) == 4


def test_a_failed_sweep_keeps_the_attempt_and_the_next_sweep_finishes_it(
        database_url, catalog_service, payment_service, catalog_channel, payment_channel):
    product = create_product(catalog_channel, stock=8)
    order_id = new_order_id()
    reserve(catalog_channel, order_id, product.id, 2)
    authorize(payment_channel, order_id)
    young = new_order_id()

    async def use(repository: OrderRepository):
        await repository.record_attempt(order_id, "guest:retry")
        await repository.record_attempt(young, "guest:young")
        with psycopg.connect(database_url) as conn:
            conn.execute("UPDATE checkout_attempts SET created_at = now() - interval '1 hour' WHERE order_id = %s",
                         (order_id,))
        catalog = clients.connect(catalog_service.address, timeout=5)
        nobody = clients.connect(f"127.0.0.1:{free_port()}", timeout=1)
        payment = clients.connect(payment_service.address, timeout=5)
        try:
            broken = AbandonedCheckoutSweeper(repository, CatalogClient(catalog), PaymentClient(nobody),
                                              older_than=60, interval=1)
            [failed] = [s for s in await broken.sweep() if s.attempt.order_id == order_id]
            assert failed.outcome is Outcome.FAILED and "AioRpcError" in failed.error
            assert await repository.attempt_open(order_id), "kept for the next sweep"
            assert stock_of(catalog_channel, product.id) == 6 and payment_status(payment_channel, order_id) == "AUTHORIZED"

            working = AbandonedCheckoutSweeper(repository, CatalogClient(catalog), PaymentClient(payment),
                                               older_than=60, interval=1)
            swept = {s.attempt.order_id: s for s in await working.sweep()}
            assert swept[order_id].outcome is Outcome.RELEASED and young not in swept, "the young one is left alone"
            assert not await repository.attempt_open(order_id) and await repository.attempt_open(young)
        finally:
            for channel in (catalog, nobody, payment):
                await channel.close()

    with_repository(database_url, use)
    assert stock_of(catalog_channel, product.id) == 8
    assert payment_status(payment_channel, order_id) == "VOIDED"
