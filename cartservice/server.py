"""The cart's gRPC servicer: protobuf in, domain call, protobuf out. Nothing else."""
from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from service_runtime import fault_flags
from service_runtime.redis_client import UNAVAILABLE_ERRORS
from shop.cart.v1 import cart_pb2, cart_pb2_grpc

from cartservice import errors, rules
from cartservice.metrics import CHANGES, UNITS_ADDED
from cartservice.clients import CatalogClient
from cartservice.repository import CartRepository

STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.ProductNotFound: grpc.StatusCode.NOT_FOUND,
    errors.DependencyUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.CouponRefused: grpc.StatusCode.FAILED_PRECONDITION,
    fault_flags.Unavailable: grpc.StatusCode.UNAVAILABLE,
    **UNAVAILABLE_ERRORS,
}

# The cartFailure fault flag: every change answers as a Redis outage would; reads still work.
unchangeable = fault_flags.unavailable_while("cartFailure", "the cart cannot be changed right now; try again shortly")


def cart_to_proto(cart: rules.Cart) -> cart_pb2.Cart:
    message = cart_pb2.Cart(
        owner_id=cart.owner_id,
        items=[cart_pb2.CartItem(product_id=p, quantity=q) for p, q in cart.items],
        coupon_code=cart.coupon_code,
    )
    if cart.expires_at is not None:
        stamp = Timestamp()
        stamp.FromDatetime(cart.expires_at)
        message.expire_time.CopyFrom(stamp)
    return message


class CartServicer(cart_pb2_grpc.CartServiceServicer):
    def __init__(self, repository: CartRepository, catalog: CatalogClient):
        self._repo = repository
        self._catalog = catalog

    async def GetCart(self, request, context):
        cart = await self._repo.get(rules.check_owner_id(request.owner_id))
        return cart_pb2.GetCartResponse(cart=cart_to_proto(cart))

    @unchangeable
    async def AddItem(self, request, context):
        owner = rules.check_owner_id(request.owner_id)
        product_id = rules.check_product_id(request.product_id)
        quantity = rules.check_added_quantity(request.quantity)
        await self._catalog.ensure_exists(product_id)
        cart = await self._repo.add(owner, product_id, quantity)
        CHANGES.labels("add").inc()
        UNITS_ADDED.inc(quantity)
        return cart_pb2.AddItemResponse(cart=cart_to_proto(cart))

    @unchangeable
    async def SetItemQuantity(self, request, context):
        owner = rules.check_owner_id(request.owner_id)
        product_id = rules.check_product_id(request.product_id)
        quantity = rules.check_new_quantity(request.quantity)
        if quantity > 0:
            await self._catalog.ensure_exists(product_id)
        cart = await self._repo.set_quantity(owner, product_id, quantity)
        CHANGES.labels("set_quantity").inc()
        return cart_pb2.SetItemQuantityResponse(cart=cart_to_proto(cart))

    @unchangeable
    async def RemoveItem(self, request, context):
        owner = rules.check_owner_id(request.owner_id)
        cart = await self._repo.remove(owner, rules.check_product_id(request.product_id))
        CHANGES.labels("remove").inc()
        return cart_pb2.RemoveItemResponse(cart=cart_to_proto(cart))

    @unchangeable
    async def EmptyCart(self, request, context):
        await self._repo.empty(rules.check_owner_id(request.owner_id))
        CHANGES.labels("empty").inc()
        return cart_pb2.EmptyCartResponse()

    @unchangeable
    async def MergeCarts(self, request, context):
        source = rules.check_owner_id(request.source_owner_id, "source_owner_id")
        target = rules.check_owner_id(request.target_owner_id, "target_owner_id")
        if source == target:
            raise errors.InvalidArgument("source_owner_id and target_owner_id must be different owners")
        cart, left = await self._repo.merge(source, target)
        CHANGES.labels("merge").inc()
        return cart_pb2.MergeCartsResponse(
            cart=cart_to_proto(cart), not_merged=[cart_pb2.CartItem(product_id=p, quantity=q) for p, q in left])

    @unchangeable
    async def SubtractItems(self, request, context):
        owner = rules.check_owner_id(request.owner_id)
        items = rules.check_subtracted([(item.product_id, item.quantity) for item in request.items])
        cart = await self._repo.subtract(owner, items, request.coupon_code.strip().upper())
        CHANGES.labels("subtract").inc()
        return cart_pb2.SubtractItemsResponse(cart=cart_to_proto(cart))

    @unchangeable
    async def ApplyCoupon(self, request, context):
        owner = rules.check_owner_id(request.owner_id)
        code = rules.check_coupon_code(request.coupon_code)
        currency = request.currency_code.strip().upper() or "USD"
        current = await self._repo.get(owner)
        if not current.items:
            raise rules.empty_cart_coupon()
        await self._catalog.check_coupon(code, current.items, currency, owner)
        cart = await self._repo.set_coupon(owner, code)
        CHANGES.labels("apply_coupon").inc()
        return cart_pb2.ApplyCouponResponse(cart=cart_to_proto(cart))

    @unchangeable
    async def RemoveCoupon(self, request, context):
        cart = await self._repo.set_coupon(rules.check_owner_id(request.owner_id), "")
        CHANGES.labels("remove_coupon").inc()
        return cart_pb2.RemoveCouponResponse(cart=cart_to_proto(cart))
