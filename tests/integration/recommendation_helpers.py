"""Builders shared by the recommendation tests: order events as checkoutservice publishes
them, and asking for recommendations until they are what a test expects."""
from __future__ import annotations

import uuid

import grpc

from shop.checkout.v1 import checkout_pb2, events_pb2
from shop.recommendation.v1 import recommendation_pb2, recommendation_pb2_grpc
from tests.support.events import new_event_fields
from tests.support.services import wait_until

REASON = recommendation_pb2.RecommendationReason
TOGETHER = "RECOMMENDATION_REASON_BOUGHT_TOGETHER"
POPULAR = "RECOMMENDATION_REASON_POPULAR"
CATEGORY = "RECOMMENDATION_REASON_SAME_CATEGORY"


def order_of(*lines: tuple[str, int], user_id: str = "") -> checkout_pb2.Order:
    """An order of these (product id, quantity) lines, placed now."""
    order = checkout_pb2.Order(
        id=f"ord-{uuid.uuid4().hex[:12]}", user_id=user_id or f"guest:{uuid.uuid4()}",
        email="ada@example.com", status=checkout_pb2.ORDER_STATUS_PLACED, currency_code="USD",
        lines=[checkout_pb2.OrderLine(product_id=product_id, name=product_id, quantity=quantity)
               for product_id, quantity in lines])
    order.create_time.GetCurrentTime()
    return order


def placed(order: checkout_pb2.Order) -> events_pb2.OrderPlaced:
    return events_pb2.OrderPlaced(order_id=order.id, order=order, **new_event_fields())


def moved(order: checkout_pb2.Order, status: int, **event_fields) -> events_pb2.OrderStatusChanged:
    changed = checkout_pb2.Order()
    changed.CopyFrom(order)
    changed.status = status
    return events_pb2.OrderStatusChanged(order_id=order.id, previous_status=order.status, status=status,
                                         order=changed, **{**new_event_fields(), **event_fields})


def shipped(order: checkout_pb2.Order, **event_fields) -> events_pb2.OrderStatusChanged:
    return moved(order, checkout_pb2.ORDER_STATUS_SHIPPED, **event_fields)


def recommended(channel, *product_ids: str, product_id: str = "", user_id: str = "",
                limit: int = 0) -> list[tuple[str, str]]:
    """(product id, reason name) of each recommendation, best first."""
    reply = recommendation_pb2_grpc.RecommendationServiceStub(channel).ListRecommendations(
        recommendation_pb2.ListRecommendationsRequest(product_ids=list(product_ids), product_id=product_id,
                                                      user_id=user_id, limit=limit), timeout=10)
    return [(r.product.id, REASON.Name(r.reason)) for r in reply.recommendations]


def wait_for_recommendations(channel, predicate, *product_ids: str, timeout: float = 30, **ask) -> list:
    """Ask again until predicate(answer) holds; the answer."""
    answers = []

    def good():
        answers.append(recommended(channel, *product_ids, **ask))
        return predicate(answers[-1])
    try:
        wait_until(good, timeout, f"recommendations for {product_ids or ask}", interval=0.3)
    except TimeoutError:
        raise AssertionError(f"the last answer was {answers[-1] if answers else None}") from None
    return answers[-1]


def refused(call) -> grpc.RpcError:
    try:
        call()
    except grpc.RpcError as error:
        return error
    raise AssertionError("the call was not refused")
