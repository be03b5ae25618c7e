"""Scale on one machine: two instances of every consumer and of each gRPC service behind
the frontend, under load. The test shows that the work is shared (each instance's own
/metrics counts what it handled), that no event is handled twice (one capture, one
shipment and one email of each kind per order, each shipped unit counted once as a sale,
and one outgoing event per effect), and
that no order is lost when one instance of each service is SIGKILLed mid-load, and that
the kill leaves nothing behind: a checkout killed between reserving stock and storing
its order is swept by its twin (a short sweep age here), so in the end no stock is held
and no payment authorized for an order that does not exist.

The stack is private: its own databases on the session's PostgreSQL, its own vhost on
the session's RabbitMQ (other tests' consumers share the queue names, never the vhost),
and the session's Redis (carts are per shopper). Every caller gets both instances of
each dependency as one gRPC target (`ipv4:own,twin`): gRPC's default pick_first policy
calls the first and fails over to the second when it dies. Each instance lists itself
first, so the two columns of the stack each carry half the load until the kill; the kill
is spread across both columns so that failover is exercised on most calls."""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc
import psycopg
import pytest

from devstack import rabbitmq as devstack_rabbitmq
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.checkout.v1 import events_pb2 as checkout_events
from shop.payment.v1 import events_pb2 as payment_events
from shop.shipping.v1 import events_pb2 as shipping_events
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import fill_cart, new_shopper, place_request
from tests.support import scale
from tests.support.services import ServiceProcess, wait_until

pytestmark = pytest.mark.slow

ORDERS = 90
WORKERS = 8
KILL_AFTER = ORDERS // 3
SHIPPED_WITHIN = 60.0
STOCK = 100_000
# The sweep age: above what a PlaceOrder here takes once it has recorded its attempt
# (ReserveStock and Authorize, each at most 5 s even through a failover), far below the
# production default, so that the survivor sweeps what the victim left while the test
# waits for the emails anyway.
ABANDONED_AFTER = 15.0
# What an instance may answer while its twin (or the instance itself) is being killed:
# worth the same request again (PlaceOrder is idempotent per request_id).
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
             grpc.StatusCode.UNKNOWN, grpc.StatusCode.ABORTED, grpc.StatusCode.CANCELLED}

# The queues each consuming service reads (service_runtime/topology.py).
QUEUES = {
    "catalogservice": ["catalog.checkout-events"],
    "paymentservice": ["payment.checkout-events"],
    "shippingservice": ["shipping.checkout-events"],
    "emailservice": ["email.checkout-events"],
    "recommendationservice": ["recommendation.checkout-events"],
    "checkoutservice": ["checkout.payment-events", "checkout.shipping-events"],
}
# Which instance of each service dies: spread over both columns, so that the survivors
# of the other column fail over to their dependencies' second address.
VICTIM = {"checkoutservice": 0, "paymentservice": 1, "shippingservice": 0, "catalogservice": 1,
          "emailservice": 0, "cartservice": 1, "recommendationservice": 1}
# The gRPC services the shop calls (emailservice's RPCs are for people and tests).
GRPC_SERVICES = ("catalogservice", "cartservice", "shippingservice", "paymentservice", "checkoutservice")
EMAIL_KINDS = ("order_received", "payment_confirmed", "shipped")


@dataclass
class Stack:
    services: dict[str, list[ServiceProcess]]
    databases: dict[str, str]
    node: devstack_rabbitmq.Node
    vhost: str
    mail_dir: object
    killed: threading.Event = field(default_factory=threading.Event)

    def alive(self, module: str, preferred: int) -> ServiceProcess:
        """The preferred instance, or its twin once the preferred one was killed."""
        if self.killed.is_set() and VICTIM.get(module) == preferred:
            preferred = 1 - preferred
        return self.services[module][preferred]

    def victims(self) -> list[ServiceProcess]:
        return [self.services[module][index] for module, index in VICTIM.items()]

    def survivors(self) -> list[ServiceProcess]:
        return [self.services[module][1 - index] for module, index in VICTIM.items()]


def both(services: list[ServiceProcess], first: int) -> str:
    """One gRPC target naming both instances, instance `first` first."""
    return f"ipv4:{services[first].address},{services[1 - first].address}"


DATABASES = ("catalog", "shipping", "payment", "email", "checkout", "recommendation")


@pytest.fixture(scope="module")
def stack(postgres, redis_server, rabbitmq, artifacts_dir, tmp_path_factory):
    with scale.own_backing(postgres, rabbitmq, "scale", DATABASES) as backing:
        yield from _two_of_each(backing, redis_server, rabbitmq, artifacts_dir, tmp_path_factory)


def _two_of_each(backing, redis_server, rabbitmq, artifacts_dir, tmp_path_factory):
    databases, amqp_url, suffix = backing.databases, backing.amqp_url, backing.suffix
    mail_dir = tmp_path_factory.mktemp("scale-mail")
    logs = artifacts_dir / f"scale-{suffix}"
    logs.mkdir()

    services: dict[str, list[ServiceProcess]] = {}

    def pair(module: str, env_of) -> None:
        services[module] = [ServiceProcess(module, {}, logs / f"{module}-{i}.log") for i in (0, 1)]
        for i, service in enumerate(services[module]):
            service.env.update(env_of(i))

    pair("catalogservice", lambda i: {"DATABASE_URL": databases["catalog"], "AMQP_URL": amqp_url})
    catalogs = services["catalogservice"]
    pair("cartservice", lambda i: {"REDIS_URL": redis_server.url, "CATALOG_ADDR": both(catalogs, i)})
    pair("shippingservice", lambda i: {"DATABASE_URL": databases["shipping"], "AMQP_URL": amqp_url,
                                       "CATALOG_ADDR": both(catalogs, i)})
    pair("paymentservice", lambda i: {"DATABASE_URL": databases["payment"], "AMQP_URL": amqp_url})
    # A short SMTP timeout makes the lease of an email whose sender died short (2 x + 30 s).
    pair("emailservice", lambda i: {"DATABASE_URL": databases["email"], "AMQP_URL": amqp_url,
                                    "MAIL_DIR": str(mail_dir), "SMTP_TIMEOUT_SECONDS": "0.5"})
    pair("recommendationservice", lambda i: {"DATABASE_URL": databases["recommendation"], "AMQP_URL": amqp_url,
                                             "CATALOG_ADDR": both(catalogs, i)})
    pair("checkoutservice", lambda i: {
        "DATABASE_URL": databases["checkout"], "AMQP_URL": amqp_url,
        "CART_ADDR": both(services["cartservice"], i), "CATALOG_ADDR": both(catalogs, i),
        "SHIPPING_ADDR": both(services["shippingservice"], i), "PAYMENT_ADDR": both(services["paymentservice"], i),
        "ABANDONED_CHECKOUT_AFTER_SECONDS": str(ABANDONED_AFTER), "ABANDONED_CHECKOUT_SWEEP_SECONDS": "1",
    })
    every = [service for pair_ in services.values() for service in pair_]
    try:
        # All fourteen at once: twins migrate the same database under yoyo's lock.
        with ThreadPoolExecutor(len(every)) as pool:
            for started in [pool.submit(service.start, 90) for service in every]:
                started.result()
        yield Stack(services, databases, rabbitmq, backing.vhost, mail_dir)
    finally:
        for service in every:
            service.stop()
            if service.process is not None:
                scale.sigkill_tree(service.process)  # anything a killed instance left behind


@dataclass
class Placed:
    owner: str
    request_id: str
    order_id: str = ""
    answered_by: str = ""
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


class Shoppers:
    """Channels to every instance, kept for the whole load, and the load itself."""

    def __init__(self, stack: Stack, product_ids: list[str]):
        self.stack = stack
        self.products = product_ids
        self.channels = {service.address: grpc.insecure_channel(service.address)
                         for pair in stack.services.values() for service in pair}
        self.placed_count = 0
        self.lock = threading.Lock()
        self.placed_event = threading.Event()

    def close(self):
        for channel in self.channels.values():
            channel.close()

    def _retrying(self, module: str, preferred: int, call, record: Placed | None, within: float = 40.0):
        deadline = time.monotonic() + within
        while True:
            service = self.stack.alive(module, preferred)
            try:
                return service, call(self.channels[service.address])
            except grpc.RpcError as error:
                if error.code() not in RETRYABLE or time.monotonic() > deadline:
                    raise
                if record is not None:
                    record.errors.append(f"{service.module}@{service.address}: {error.code().name}")
                time.sleep(0.2)

    def shop(self, index: int) -> Placed:
        column = index % 2
        record = Placed(new_shopper(), str(uuid.uuid4()))
        lines = [(self.products[index % len(self.products)], 1 + index % 3)]
        if index % 4 == 0:
            lines.append((self.products[(index + 1) % len(self.products)], 1))
        for line in lines:  # a retried AddItem may add twice: quantities do not matter here
            self._retrying("cartservice", column, lambda channel: fill_cart(channel, record.owner, line), None)
        request = place_request(record.owner, email=f"scale-{index}@example.com", request_id=record.request_id)

        def place(channel):
            record.attempts += 1
            return checkout_pb2_grpc.CheckoutServiceStub(channel).PlaceOrder(request, timeout=20).order

        service, order = self._retrying("checkoutservice", column, place, record)
        record.order_id, record.answered_by = order.id, service.address
        with self.lock:
            self.placed_count += 1
            if self.placed_count >= KILL_AFTER:
                self.placed_event.set()
        return record


def _scrape(services, read) -> dict:
    with ThreadPoolExecutor(len(services)) as pool:  # at once: the snapshot is of one moment
        return dict(zip([s.address for s in services], pool.map(lambda s: read(s.http_url), services)))


def consumer_counts(stack: Stack, services=None) -> dict[str, Counter]:
    """Instance address -> queue -> messages handled, for every consuming instance given."""
    return _scrape(services or [s for module in QUEUES for s in stack.services[module]], scale.handled_messages)


def rpc_counts(stack: Stack, services=None) -> dict[str, int]:
    """Instance address -> RPCs served, for every instance given of the shop's gRPC services."""
    return _scrape(services or [s for module in GRPC_SERVICES for s in stack.services[module]],
                   lambda url: sum(scale.handled_rpcs(url).values()))


def every_consumer_busy(stack: Stack) -> bool:
    counts = consumer_counts(stack)
    return all(counts[s.address][queue] > 0 for module, queues in QUEUES.items()
               for s in stack.services[module] for queue in queues)


def kill_mid_load(stack: Stack, shoppers: Shoppers, report: dict) -> None:
    """Once a third of the orders are placed (and every consumer instance has had work),
    snapshot every instance's counters and SIGKILL one instance of each service."""
    if not shoppers.placed_event.wait(60):
        raise TimeoutError("a third of the orders were not placed within 60 s")
    wait_until(lambda: every_consumer_busy(stack), 20, "every consumer instance handling messages", interval=0.3)
    report["rpcs_before"] = rpc_counts(stack)
    report["consumers_before"] = consumer_counts(stack)
    report["placed_at_kill"] = shoppers.placed_count
    for victim in stack.victims():
        scale.sigkill_tree(victim.process)
    stack.killed.set()
    report["killed_at"] = time.monotonic()


def rows(database_url: str, sql: str, *params):
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def outbox_events(database_url: str, event_class) -> list:
    return [event_class.FromString(bytes(body)) for (body,) in rows(
        database_url, "SELECT body FROM outbox WHERE message_type = %s", event_class.DESCRIPTOR.full_name)]


def orphans(stack: Stack, product_ids: list[str]) -> dict:
    """What no stored order accounts for: checkout attempts not yet swept, payments that
    hold or took money, stock reservations still held, and stock missing beyond what the
    stored orders bought (every product started with STOCK)."""
    checkout_db, payment_db, catalog_db = (stack.databases[name] for name in ("checkout", "payment", "catalog"))
    stored = [order_id for (order_id,) in rows(checkout_db, "SELECT id FROM orders")]
    bought = dict(rows(checkout_db, "SELECT product_id, sum(quantity)::int FROM order_lines GROUP BY product_id"))
    stock = dict(rows(catalog_db, "SELECT id, stock FROM products WHERE id = ANY(%s)", product_ids))
    return {
        "attempts": rows(checkout_db, "SELECT count(*) FROM checkout_attempts")[0][0],
        "payments": dict(rows(payment_db, """SELECT status, count(*) FROM payments WHERE NOT (order_id = ANY(%s))
                                             AND status NOT IN ('VOIDED', 'DECLINED') GROUP BY status""", stored)),
        "reservations": rows(catalog_db, """SELECT count(*) FROM stock_reservations
                                            WHERE status = 'reserved' AND NOT (order_id = ANY(%s))""", stored)[0][0],
        "stock_missing": {p: STOCK - stock[p] - bought.get(p, 0) for p in product_ids
                          if STOCK - stock[p] != bought.get(p, 0)},
    }


def no_orphans(found: dict) -> bool:
    return not any(found.values())


def test_two_instances_share_the_work_and_survive_a_kill_mid_load(stack: Stack, artifacts_dir):
    started = time.monotonic()
    catalog = grpc.insecure_channel(stack.services["catalogservice"][0].address)
    try:
        products = [create_product(catalog, stock=STOCK).id for _ in range(3)]
    finally:
        catalog.close()
    shoppers = Shoppers(stack, products)
    report: dict = {}
    try:
        with ThreadPoolExecutor(WORKERS + 1) as pool:
            killer = pool.submit(kill_mid_load, stack, shoppers, report)
            shopping = [pool.submit(shoppers.shop, i) for i in range(ORDERS)]
            placed = [future.result() for future in shopping]
            killer.result()
    finally:
        shoppers.close()
    load_done = time.monotonic()
    order_ids = [p.order_id for p in placed]
    owners = [p.owner for p in placed]
    assert report["placed_at_kill"] < ORDERS, "the kill came after the load: not mid-load"
    assert len(set(order_ids)) == ORDERS, "one order per shopper"

    # 3. Every order placed reaches SHIPPED, and every email is out.
    checkout_db, email_db = stack.databases["checkout"], stack.databases["email"]

    def shipped() -> bool:
        return rows(checkout_db, "SELECT count(*) FROM orders WHERE id = ANY(%s) AND status = 'SHIPPED'",
                    order_ids)[0][0] == ORDERS

    try:
        wait_until(shipped, SHIPPED_WITHIN, f"all {ORDERS} orders SHIPPED", interval=0.5)
    except TimeoutError:
        stuck = rows(checkout_db, "SELECT status, count(*) FROM orders WHERE id = ANY(%s) GROUP BY status", order_ids)
        pytest.fail(f"not every order shipped within {SHIPPED_WITHIN}s: {stuck}; queues: "
                    f"{scale.queue_depths(stack.node, stack.vhost)}")
    all_shipped = time.monotonic()
    # An email whose sender was killed after recording it waits out its lease (~31 s).
    wait_until(lambda: rows(email_db, "SELECT count(*) FROM emails WHERE order_id = ANY(%s) AND state = 'sent'",
                            order_ids)[0][0] >= ORDERS * len(EMAIL_KINDS), 45, "every email sent", interval=0.5)
    recommendation_db = stack.databases["recommendation"]
    wait_until(lambda: rows(recommendation_db, "SELECT count(*) FROM counted_orders WHERE order_id = ANY(%s)",
                            order_ids)[0][0] == ORDERS, 30, "every shipped order counted as a sale", interval=0.5)
    wait_until(lambda: all(ready + unacked == 0 for ready, unacked in
                           scale.queue_depths(stack.node, stack.vhost).values()), 20, "every queue drained",
               interval=0.5)

    # 4a. Nothing left behind by the checkout that was killed mid-PlaceOrder: its twin's
    # sweeper voided the authorizations and released the stock of attempts that never
    # became orders (and the undo of every failed checkout did the same for its own).
    try:
        wait_until(lambda: no_orphans(orphans(stack, products)), ABANDONED_AFTER + 30, "no orphans", interval=0.5)
    except TimeoutError:
        pytest.fail(f"left behind by checkouts that never became orders: {orphans(stack, products)}")
    swept = {outcome: scale.counter(stack.services["checkoutservice"][1 - VICTIM["checkoutservice"]].http_url,
                                    "shop_checkout_abandoned_total", "outcome").get(outcome, 0)
             for outcome in ("released", "order_exists", "needs_attention", "failed")}

    # 4b. No order lost, none placed twice.
    per_owner = Counter(owner for (owner,) in rows(checkout_db, "SELECT user_id FROM orders WHERE user_id = ANY(%s)",
                                                  owners))
    assert per_owner == Counter(owners), "exactly one order per shopper (a retried PlaceOrder made no second one)"
    depths = scale.queue_depths(stack.node, stack.vhost)
    dead_letters = {q: d for q, d in depths.items() if q.endswith(".dlq")}
    assert len(dead_letters) == 7 and all(d == (0, 0) for d in dead_letters.values()), \
        f"nothing dead-lettered: {depths}"

    # 4c. No event handled twice: one effect, and one event announcing it, per order.
    payment_db, shipping_db = stack.databases["payment"], stack.databases["shipping"]
    captures = Counter(order for (order,) in rows(
        payment_db, "SELECT order_id FROM payments WHERE order_id = ANY(%s) AND status = 'CAPTURED'", order_ids))
    captured_events = Counter(e.order_id for e in outbox_events(payment_db, payment_events.PaymentCaptured))
    shipments = Counter(order for (order,) in rows(
        shipping_db, "SELECT order_id FROM shipments WHERE order_id = ANY(%s)", order_ids))
    shipped_events = Counter(e.order_id for e in outbox_events(shipping_db, shipping_events.OrderShipped))
    status_events = Counter((e.order_id, checkout_pb2.OrderStatus.Name(e.status))
                            for e in outbox_events(checkout_db, checkout_events.OrderStatusChanged))
    placed_events = Counter(e.order.id for e in outbox_events(checkout_db, checkout_events.OrderPlaced))
    emails = Counter(rows(email_db, "SELECT order_id, kind FROM emails WHERE order_id = ANY(%s) AND state = 'sent'",
                          order_ids))
    eml_files = len(list(stack.mail_dir.glob("*.eml")))
    sold = dict(rows(recommendation_db, "SELECT product_id, sum(units)::int FROM daily_sales GROUP BY product_id"))
    shipped_units = dict(rows(checkout_db, """SELECT l.product_id, sum(l.quantity)::int FROM order_lines l
                                              JOIN orders o ON o.id = l.order_id WHERE o.status = 'SHIPPED'
                                              GROUP BY l.product_id"""))
    duplicates = {
        "captures": {o: n for o, n in captures.items() if n != 1},
        "PaymentCaptured": {o: n for o, n in captured_events.items() if n != 1},
        "shipments": {o: n for o, n in shipments.items() if n != 1},
        "OrderShipped": {o: n for o, n in shipped_events.items() if n != 1},
        "OrderPlaced": {o: n for o, n in placed_events.items() if n != 1},
        "OrderStatusChanged": {k: n for k, n in status_events.items() if n != 1},
        "emails": {k: n for k, n in emails.items() if n != 1},
    }
    assert all(not found for found in duplicates.values()), f"handled twice: {duplicates}"
    assert set(captures) == set(order_ids) and set(shipments) == set(order_ids), "every order captured and shipped"
    assert set(captured_events) >= set(order_ids) and set(shipped_events) >= set(order_ids)
    moves = {(o, s) for o in order_ids for s in ("ORDER_STATUS_PAID", "ORDER_STATUS_SHIPPED")}
    assert {k for k in status_events if k[0] in set(order_ids)} == moves, "each order PAID then SHIPPED, once"
    assert set(emails) == {(o, kind) for o in order_ids for kind in EMAIL_KINDS}, "every email of every order"
    assert eml_files == len(emails), f"{eml_files} .eml files for {len(emails)} emails"
    assert sold == shipped_units, "every shipped unit counted once as sold by recommendationservice, none twice"

    # 4d. Work was shared before the kill, and the survivors carried on after it.
    before, rpcs_before = report["consumers_before"], report["rpcs_before"]
    for module, queues in QUEUES.items():
        for service in stack.services[module]:
            for queue in queues:
                assert before[service.address][queue] > 0, \
                    f"{module} {service.address} had no {queue} work before the kill"
    for module in GRPC_SERVICES:
        for service in stack.services[module]:
            assert rpcs_before[service.address] > 0, f"{module} {service.address} served no RPC before the kill"
    survivors = stack.survivors()
    after = consumer_counts(stack, [s for s in survivors if s.module in QUEUES])
    rpcs_after = rpc_counts(stack, [s for s in survivors if s.module in GRPC_SERVICES])
    for service in survivors:
        for queue in QUEUES.get(service.module, []):
            assert after[service.address][queue] > before[service.address][queue], \
                f"surviving {service.module} handled no {queue} message after the kill"
        assert service.module not in GRPC_SERVICES or rpcs_after[service.address] > rpcs_before[service.address], \
            f"surviving {service.module} served no RPC after the kill"
    victims = stack.victims()
    assert all(v.process.poll() is not None for v in victims)

    # What the run shows, for people (and the report).
    summary = {
        "orders": ORDERS, "placed_at_kill": report["placed_at_kill"],
        "retried_place_orders": sum(1 for p in placed if p.attempts > 1),
        "errors_seen_by_shoppers": Counter(e.split(": ")[1] for p in placed for e in p.errors),
        "answered_by_checkout": Counter(p.answered_by for p in placed),
        "consumers": {
            f"{s.module}[{i}]{' (killed)' if VICTIM.get(s.module) == i else ''}": {
                queue: {"before_kill": before[s.address][queue],
                        **({} if VICTIM.get(s.module) == i else {"at_end": after[s.address][queue]})}
                for queue in QUEUES[s.module]}
            for module in QUEUES for i, s in enumerate(stack.services[module])},
        "rpcs": {f"{s.module}[{i}]{' (killed)' if VICTIM.get(s.module) == i else ''}": {
            "before_kill": rpcs_before[s.address],
            **({} if VICTIM.get(s.module) == i else {"at_end": rpcs_after[s.address]})}
            for module in GRPC_SERVICES for i, s in enumerate(stack.services[module])},
        # An email recorded by an instance killed before it wrote the file goes out when
        # its lease ends, from the survivor's retry worker: the kill landed mid-message.
        # Per queue, what the victim had handled when the snapshot was taken plus what the
        # survivor handled in all: above the number of events, a redelivery or republished
        # event was absorbed by processed_events; below it, the victim handled the rest
        # between the snapshot and the kill.
        "handled_victim_before_plus_survivor_total": {
            queue: before[victim.address][queue] + after[survivor.address][queue]
            for module, queues in QUEUES.items() for queue in queues
            for victim, survivor in [(stack.services[module][VICTIM[module]],
                                      stack.services[module][1 - VICTIM[module]])]},
        "emails_sent_after_their_lease": rows(
            email_db, "SELECT count(*) FROM emails WHERE order_id = ANY(%s) AND sent_at > created_at + interval '20 s'",
            order_ids)[0][0],
        # Checkouts that never became orders (killed, or failed and undone), and what the
        # surviving checkout's sweeper did with the attempts the victim left.
        "payments_without_order": dict(rows(
            payment_db, "SELECT status, count(*) FROM payments WHERE NOT (order_id = ANY(%s)) GROUP BY status",
            order_ids)),
        "abandoned_checkouts_swept_by_survivor": swept,
        "duplicates": {k: len(v) for k, v in duplicates.items()},
        "seconds": {"load": round(load_done - started, 1), "until_all_shipped": round(all_shipped - started, 1),
                    "total": round(time.monotonic() - started, 1)},
    }
    text = json.dumps(summary, indent=1, default=str)
    (artifacts_dir / "scale-summary.json").write_text(text)
    print(text)
