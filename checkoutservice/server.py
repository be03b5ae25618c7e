"""checkout's gRPC servicer: protobuf in, domain call, protobuf out. Nothing else."""
from __future__ import annotations

from datetime import timezone

import grpc

from service_runtime import paging
from service_runtime.prototime import to_timestamp
from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc

from checkoutservice import convert, errors
from checkoutservice.cancelling import OrderCanceller
from checkoutservice.metrics import REFUSALS
from checkoutservice.placing import Checkout, OrderPlacer
from checkoutservice.repository import OrderRepository

STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    paging.InvalidPage: grpc.StatusCode.INVALID_ARGUMENT,
    errors.OrderNotFound: grpc.StatusCode.NOT_FOUND,
    errors.OrderRefused: grpc.StatusCode.FAILED_PRECONDITION,
    errors.IllegalTransition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DependencyUnavailable: grpc.StatusCode.UNAVAILABLE,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}


def _moment(request, field: str):
    return getattr(request, field).ToDatetime(tzinfo=timezone.utc) if request.HasField(field) else None


def _bounded(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise errors.InvalidArgument(f"{field} takes at most {limit} characters", field=field)
    return value


def _required(value: str, field: str) -> str:
    if not value:
        raise errors.InvalidArgument(f"{field} is required", field=field)
    return value


class CheckoutServicer(checkout_pb2_grpc.CheckoutServiceServicer):
    def __init__(self, placer: OrderPlacer, canceller: OrderCanceller, repository: OrderRepository):
        self._placer = placer
        self._canceller = canceller
        self._repo = repository

    async def PlaceOrder(self, request, context):
        if not request.HasField("address"):
            raise errors.InvalidArgument("address is required", field="address")
        if not request.HasField("credit_card"):
            raise errors.InvalidArgument("credit_card is required", field="credit_card")
        try:
            order = await self._placer.place(Checkout(
                user_id=_required(request.user_id, "user_id"), email=request.email,
                currency=_required(request.currency_code, "currency_code"), address=request.address,
                card=request.credit_card, request_id=request.request_id,
            ))
        except errors.OrderRefused as refusal:
            REFUSALS.labels(refusal.reason).inc()
            raise
        return checkout_pb2.PlaceOrderResponse(order=convert.order_to_proto(order))

    async def GetOrder(self, request, context):
        order = await self._repo.get(_required(request.order_id, "order_id"), _required(request.user_id, "user_id"))
        return checkout_pb2.GetOrderResponse(order=convert.order_to_proto(order))

    async def ListOrders(self, request, context):
        page = paging.paging(request.page_size, request.page_token)
        found, total = await self._repo.list(user_id=_required(request.user_id, "user_id"),
                                             limit=page.limit, offset=page.offset)
        return checkout_pb2.ListOrdersResponse(orders=[convert.order_to_proto(o) for o in found],
                                               next_page_token=page.next_token(len(found), total), total_size=total)

    async def CancelOrder(self, request, context):
        order = await self._canceller.cancel(_required(request.order_id, "order_id"), request.reason,
                                             user_id=_required(request.user_id, "user_id"))
        return checkout_pb2.CancelOrderResponse(order=convert.order_to_proto(order))

    async def ListAllOrders(self, request, context):
        page = paging.paging(request.page_size, request.page_token)
        status = convert.STATUS_FROM_PROTO.get(request.status) if request.status else None
        found, total = await self._repo.list(
            user_id=request.user_id, status=status, email=_bounded(request.email, "email", 320),
            placed_after=_moment(request, "placed_after"), placed_before=_moment(request, "placed_before"),
            limit=page.limit, offset=page.offset)
        return checkout_pb2.ListAllOrdersResponse(orders=[convert.order_to_proto(o) for o in found],
                                                  next_page_token=page.next_token(len(found), total), total_size=total)

    async def GetAnyOrder(self, request, context):
        order = await self._repo.get(_required(request.order_id, "order_id"))
        history = await self._repo.history(order.id)
        return checkout_pb2.GetAnyOrderResponse(order=convert.order_to_proto(order), history=[
            checkout_pb2.StatusChange(status=convert.STATUS_TO_PROTO[change.status], reason=change.reason,
                                      cause=change.cause, change_time=to_timestamp(change.at))
            for change in history])

    async def CancelAnyOrder(self, request, context):
        order = await self._canceller.cancel(_required(request.order_id, "order_id"), request.reason, user_id=None)
        return checkout_pb2.CancelAnyOrderResponse(order=convert.order_to_proto(order))
