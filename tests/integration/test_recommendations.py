"""recommendationservice against real servers: a service of its own (a fresh database, a
vhost of its own on the session's RabbitMQ, so only this module's events teach it) and
the session's real catalog. Order events are published to the broker as checkout's relay
publishes them."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import grpc
import psycopg
import pytest

from service_runtime import topology
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2
from shop.recommendation.v1 import recommendation_pb2, recommendation_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import refusal
from tests.integration.recommendation_helpers import (CATEGORY, POPULAR, TOGETHER, moved, order_of, placed,
                                                      recommended, refused, shipped, wait_for_recommendations)
from tests.support import metrics, scale
from tests.support.events import publish
from tests.support.http import request
from tests.support.net import free_port
from tests.support.services import ServiceProcess, wait_until


@dataclass
class Own:
    service: ServiceProcess
    amqp_url: str
    database_url: str
    channel: grpc.Channel


@pytest.fixture(scope="module")
def own(postgres, rabbitmq, catalog_service, artifacts_dir):
    with scale.own_backing(postgres, rabbitmq, "reco", ("recommendation",)) as backing:
        database_url = backing.databases["recommendation"]
        service = ServiceProcess("recommendationservice", {
            "DATABASE_URL": database_url, "AMQP_URL": backing.amqp_url, "CATALOG_ADDR": catalog_service.address,
        }, artifacts_dir / f"recommendationservice-{backing.suffix}.log").start()
        try:
            with grpc.insecure_channel(service.address) as channel:
                yield Own(service, backing.amqp_url, database_url, channel)
        finally:
            service.stop()


def ship(own: Own, *orders: checkout_pb2.Order, timeout: float = 30) -> None:
    """Publish each order's SHIPPED event, and wait until the service has counted them all."""
    publish(own.amqp_url, topology.CHECKOUT_EVENTS, *(shipped(order) for order in orders))
    wait_counted(own, *orders, timeout=timeout)


def wait_counted(own: Own, *orders: checkout_pb2.Order, timeout: float = 30) -> None:
    ids = [order.id for order in orders]
    wait_until(lambda: rows(own, "SELECT count(*) FROM counted_orders WHERE order_id = ANY(%s)", ids)[0][0] == len(ids),
               timeout, f"orders {ids} counted", interval=0.2)


def products(catalog_channel, count: int, **fields) -> list[str]:
    return [create_product(catalog_channel, **fields).id for _ in range(count)]


def handled(own: Own) -> float:
    """Messages the service's consumer has finished with (acted on or acked as not its business)."""
    return metrics.value(own.service.http_url, "messaging_messages_total", queue="recommendation.checkout-events",
                         outcome="handled")


def wait_handled(own: Own, count: float) -> None:
    metrics.wait_for(own.service.http_url, "messaging_messages_total", count,
                     queue="recommendation.checkout-events", outcome="handled")


def rows(own: Own, sql: str, *params) -> list[tuple]:
    with psycopg.connect(own.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def test_after_orders_that_pair_a_with_b_a_recommends_b(own, catalog_channel):
    a, b, c = products(catalog_channel, 3)
    ship(own, order_of((a, 1), (b, 2)), order_of((a, 1), (b, 1), (c, 1)))
    answer = recommended(own.channel, a)
    assert answer[:2] == [(b, TOGETHER), (c, TOGETHER)], answer
    assert a not in [product for product, _ in answer], "never the product asked about"
    assert recommended(own.channel, b, limit=1) == [(a, TOGETHER)], "bought together counts both ways"
    assert recommended(own.channel, product_id=b, limit=1) == [(a, TOGETHER)], "the product page's field too"


def test_only_a_shipped_order_teaches_what_sells_together(own, catalog_channel):
    a, b, c = products(catalog_channel, 3)
    handled_before = handled(own)
    paid_then_cancelled, failed = order_of((a, 1), (b, 1)), order_of((a, 1), (b, 1))
    publish(own.amqp_url, topology.CHECKOUT_EVENTS,
            placed(paid_then_cancelled), moved(paid_then_cancelled, checkout_pb2.ORDER_STATUS_PAID),
            moved(paid_then_cancelled, checkout_pb2.ORDER_STATUS_REFUNDED),
            placed(failed), moved(failed, checkout_pb2.ORDER_STATUS_PAYMENT_FAILED))
    ship(own, order_of((a, 1), (c, 1)))
    wait_handled(own, handled_before + 6)
    assert recommended(own.channel, a, limit=20)[:1] == [(c, TOGETHER)]
    assert (b, TOGETHER) not in recommended(own.channel, a, limit=20)


def test_a_redelivered_event_or_a_second_event_about_the_same_order_changes_nothing(own, catalog_channel):
    a, b, c = products(catalog_channel, 3)
    once = order_of((a, 1), (b, 1))
    event = shipped(once)
    duplicates_before = metrics.value(own.service.http_url, "shop_recommendation_events_total",
                                      event="sale", outcome="duplicate")
    # The same message three times (a redelivery), and the same order under another event id.
    publish(own.amqp_url, topology.CHECKOUT_EVENTS, event, event, event, shipped(once))
    ship(own, order_of((a, 1), (c, 1)), order_of((a, 1), (c, 1)))
    metrics.wait_for(own.service.http_url, "shop_recommendation_events_total", duplicates_before + 3,
                     event="sale", outcome="duplicate")
    assert recommended(own.channel, a, limit=2) == [(c, TOGETHER), (b, TOGETHER)], "b bought with a once, c twice"
    assert rows(own, "SELECT orders FROM co_purchases WHERE product_id = %s AND other_id = %s", a, b) == [(1,)]
    assert rows(own, "SELECT sum(units)::int FROM daily_sales WHERE product_id = %s", b) == [(1,)]
    assert rows(own, "SELECT count(*) FROM counted_orders WHERE order_id = %s", once.id) == [(1,)]


def test_with_too_little_data_the_best_sellers_come_then_the_same_category(own, catalog_channel):
    [best_seller] = products(catalog_channel, 1, categories=("electronics",))
    [lonely] = products(catalog_channel, 1, categories=("outdoors",))
    ship(own, order_of((best_seller, 10_000)))
    [(sold,)] = rows(own, "SELECT count(DISTINCT product_id) FROM daily_sales")
    assert sold < 20, "the last resort shows only when fewer best sellers than the limit exist"
    answer = recommended(own.channel, lonely, limit=20)
    assert answer[0] == (best_seller, POPULAR), answer
    reasons = [reason for _, reason in answer]
    assert reasons == sorted(reasons, key=[TOGETHER, POPULAR, CATEGORY].index), "best sellers before the last resort"
    assert CATEGORY in reasons, answer
    catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    suggested = catalog.BatchGetProducts(catalog_pb2.BatchGetProductsRequest(
        ids=[p for p, reason in answer if reason == CATEGORY]), timeout=5).products
    assert all("outdoors" in p.categories and p.stock > 0 for p in suggested), suggested
    assert lonely not in [product for product, _ in answer]


def test_a_product_nobody_bought_and_nothing_given_still_get_answers(own, catalog_channel):
    ship(own, order_of(*((product, 100) for product in products(catalog_channel, 3))))
    assert recommended(own.channel, "no-such-product", limit=3), "the best sellers: a product id alone is no error"
    assert [reason for _, reason in recommended(own.channel, limit=3)] == [POPULAR] * 3


def test_sold_out_and_deleted_products_are_never_recommended(own, catalog_channel):
    a, sold_out, deleted, fine = products(catalog_channel, 4)
    ship(own, order_of((a, 1), (sold_out, 50), (deleted, 50), (fine, 1)))
    wait_for_recommendations(own.channel, lambda got: {sold_out, deleted, fine} <= {p for p, _ in got}, a, limit=3)
    catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    catalog.AdjustStock(catalog_pb2.AdjustStockRequest(product_id=sold_out, delta=-10, reason="sold elsewhere"),
                        timeout=5)
    catalog.DeleteProduct(catalog_pb2.DeleteProductRequest(id=deleted), timeout=5)
    gone = {sold_out, deleted}
    answer = wait_for_recommendations(own.channel, lambda got: not gone & {p for p, _ in got}, a, limit=20)
    assert answer[0] == (fine, TOGETHER)
    for asking in ([], [fine], [a, fine]):
        assert not gone & {p for p, _ in recommended(own.channel, *asking, limit=20)}, asking


def test_a_shopper_is_not_offered_what_they_just_ordered(own, catalog_channel):
    a, b, c = products(catalog_channel, 3)
    ship(own, order_of((a, 1), (b, 1)), order_of((a, 1), (b, 1)), order_of((a, 1), (c, 1)))
    assert recommended(own.channel, a)[:2] == [(b, TOGETHER), (c, TOGETHER)]
    shopper = f"guest:{uuid.uuid4()}"
    publish(own.amqp_url, topology.CHECKOUT_EVENTS, placed(order_of((b, 1), user_id=shopper)))
    wait_for_recommendations(own.channel, lambda got: got[:1] == [(c, TOGETHER)], a, user_id=shopper)
    assert recommended(own.channel, a, limit=1) == [(b, TOGETHER)], "other shoppers still see it"
    assert recommended(own.channel, a, c, limit=1) == [(b, TOGETHER)], "nor what is in the cart"


@pytest.mark.parametrize("ask, message, field", [
    ({"product_ids": [f"p{n}x" for n in range(51)]}, "product_ids may name at most 50 products, got 51",
     "product_ids"),
    ({"product_id": "mug", "limit": 21}, "limit must be between 1 and 20 (0 means 4), got 21", "limit"),
    ({"product_ids": ["mug", "Not An Id"]}, "product_ids[1] 'Not An Id' is not a catalog product id", "product_ids[1]"),
    ({"user_id": "has space"}, "user_id must be 1 to 128 characters without spaces or '/'", "user_id"),
])
def test_bad_input_is_invalid_argument_saying_what_to_fix(own, ask, message, field):
    stub = recommendation_pb2_grpc.RecommendationServiceStub(own.channel)
    error = refused(lambda: stub.ListRecommendations(recommendation_pb2.ListRecommendationsRequest(**ask), timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and message in error.details(), error.details()
    assert refusal(error)[2] == field


def test_the_http_facade_serves_both_routes_and_refuses_with_json(own, catalog_channel):
    a, b = products(catalog_channel, 2)
    ship(own, order_of((a, 1), (b, 1)))
    page = request("GET", f"{own.service.http_url}/v1/products/{a}/recommendations?limit=1")
    assert page.status == 200, page
    [item] = page.json()["recommendations"]
    assert (item["product"]["id"], item["reason"]) == (b, TOGETHER) and item["product"]["stock"] > 0
    cart = request("GET", f"{own.service.http_url}/v1/recommendations?product_ids={a}&productIds={b}&limit=3")
    assert cart.status == 200 and all(r["product"]["id"] not in (a, b) for r in cart.json()["recommendations"])
    bad = request("GET", f"{own.service.http_url}/v1/products/{a}/recommendations?limit=99")
    assert bad.status == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT", bad
    assert "limit must be between 1 and 20" in bad.json()["error"]["message"]


def test_without_the_catalog_the_answer_is_unavailable_never_a_guess(postgres, artifacts_dir):
    database = f"reco_no_catalog_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([database])
    nowhere = f"127.0.0.1:{free_port()}"
    with ServiceProcess("recommendationservice", {
        "DATABASE_URL": postgres.url(database), "AMQP_URL": f"amqp://shop:shop@{nowhere}/",
        "CATALOG_ADDR": nowhere, "CALL_TIMEOUT_SECONDS": "1",
    }, artifacts_dir / "recommendationservice-no-catalog.log") as service, \
            grpc.insecure_channel(service.address) as channel:
        error = refused(lambda: recommended(channel, "stoneware-mug"))
        assert error.code() == grpc.StatusCode.UNAVAILABLE and "the catalog cannot be reached" in error.details()
        reply = request("GET", f"{service.http_url}/v1/products/stoneware-mug/recommendations")
        assert reply.status == 503 and "try again shortly" in json.dumps(reply.json())
        assert request("GET", f"{service.http_url}/healthz").status == 200, "health follows PostgreSQL only"


def test_the_queue_and_the_events_waiting_in_it_survive_a_broker_restart(own, rabbitmq, catalog_channel):
    a, b, c = products(catalog_channel, 3)
    waiting = order_of((a, 1), (b, 1))
    own.service.stop()
    try:
        publish(own.amqp_url, topology.CHECKOUT_EVENTS, shipped(waiting))  # waits in the service's queue
        rabbitmq.stop()
        rabbitmq.start()
    finally:
        own.service.start()
    wait_counted(own, waiting, timeout=60)
    assert recommended(own.channel, a, limit=1) == [(b, TOGETHER)]

    rabbitmq.stop()  # with the consumer connected: it comes back by itself
    rabbitmq.start()
    ship(own, order_of((a, 1), (c, 1)), order_of((a, 1), (c, 1)), timeout=60)
    assert recommended(own.channel, a, limit=1) == [(c, TOGETHER)]
