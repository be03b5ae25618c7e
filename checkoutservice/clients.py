"""The services checkout calls while placing an order, each behind a small client whose
failures come back as checkout's named errors (keeping the reason and the field a
service gave). Every call has a deadline (service_runtime.clients)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import grpc

from service_runtime import protomoney
from service_runtime.status_details import field_of, reason_of
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, coupons_pb2, currency_pb2, currency_pb2_grpc
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc

from checkoutservice.abandonment import Payment
from checkoutservice.errors import AlreadyShipped, DependencyUnavailable, InvalidArgument, OrderRefused
from checkoutservice.orders import DiscountLine, Line


def _unavailable(service: str, error: grpc.aio.AioRpcError) -> DependencyUnavailable:
    return DependencyUnavailable(f"the {service} cannot be reached right now ({error.code().name}); "
                                 "nothing was charged or kept, please try again shortly")


class CartClient:
    def __init__(self, channel: grpc.aio.Channel):
        self._stub = cart_pb2_grpc.CartServiceStub(channel)

    async def contents(self, owner_id: str) -> tuple[list[tuple[str, int]], str]:
        """The cart's lines (product id, quantity) and its coupon code ("" for none)."""
        try:
            reply = await self._stub.GetCart(cart_pb2.GetCartRequest(owner_id=owner_id))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(error.details(), field="user_id") from None
            raise _unavailable("cart service", error) from None
        return [(item.product_id, item.quantity) for item in reply.cart.items], reply.cart.coupon_code

    async def take_ordered(self, owner_id: str, items: list[tuple[str, int]], coupon_code: str = "") -> None:
        """Take the ordered units, and the code the order used, out of the cart; lines
        added meanwhile stay."""
        await self._stub.SubtractItems(cart_pb2.SubtractItemsRequest(
            owner_id=owner_id, items=[cart_pb2.CartItem(product_id=p, quantity=q) for p, q in items],
            coupon_code=coupon_code))


@dataclass(frozen=True)
class Coupon:
    """A code to redeem with the stock, and the order as checkout priced it."""
    code: str
    currency: str
    customer_id: str
    lines: tuple[Line, ...]


class CatalogClient:
    def __init__(self, channel: grpc.aio.Channel):
        self._catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        self._currency = currency_pb2_grpc.CurrencyServiceStub(channel)

    async def products(self, ids: list[str]) -> dict[str, tuple[str, Decimal, str]]:
        """product id -> (name, price, price currency) for every id; PRODUCT_UNAVAILABLE
        names the first that cannot be sold."""
        try:
            reply = await self._catalog.BatchGetProducts(catalog_pb2.BatchGetProductsRequest(ids=ids))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                missing = reason_of(error)[1].get("product_id", "")
                raise OrderRefused(f"{error.details()}; it may have been removed from the shop — "
                                   "please remove it from your cart", "PRODUCT_UNAVAILABLE", product_id=missing) from None
            raise _unavailable("catalog", error) from None
        return {p.id: (p.name, *protomoney.from_proto(p.price)) for p in reply.products}

    async def convert(self, amounts: list[tuple[Decimal, str]], to_code: str) -> list[Decimal]:
        """Each (amount, currency) converted to to_code, in one call."""
        try:
            reply = await self._currency.ConvertMany(currency_pb2.ConvertManyRequest(
                amounts=[protomoney.to_proto(amount, code) for amount, code in amounts], to_currency_code=to_code))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(error.details(), field="currency_code") from None
            raise _unavailable("currency service", error) from None
        return [protomoney.from_proto(money)[0] for money in reply.amounts]

    async def reserve(self, order_id: str, lines: list[tuple[str, int]], coupon: Coupon | None = None
                      ) -> DiscountLine | None:
        """Take the stock and redeem the coupon, all or nothing; the discount it gave."""
        request = catalog_pb2.ReserveStockRequest(
            order_id=order_id, lines=[catalog_pb2.StockLine(product_id=p, quantity=q) for p, q in lines])
        if coupon is not None:
            request.coupon_code, request.currency_code, request.customer_id = (coupon.code, coupon.currency,
                                                                               coupon.customer_id)
            request.priced_lines.extend(coupons_pb2.PricedLine(
                product_id=line.product_id, quantity=line.quantity,
                unit_price=protomoney.to_proto(line.unit_price, coupon.currency)) for line in coupon.lines)
        try:
            reply = await self._catalog.ReserveStock(request)
        except grpc.aio.AioRpcError as error:
            code = error.code()
            reason, metadata = reason_of(error)
            product_id = metadata.get("product_id", "")
            if code == grpc.StatusCode.FAILED_PRECONDITION and reason == "COUPON_REFUSED":
                raise OrderRefused(error.details(), "COUPON_REFUSED", code=metadata.get("code", "")) from None
            if code == grpc.StatusCode.FAILED_PRECONDITION:
                raise OrderRefused(error.details(), "OUT_OF_STOCK", product_id=product_id) from None
            if code == grpc.StatusCode.NOT_FOUND:
                raise OrderRefused(error.details(), "PRODUCT_UNAVAILABLE", product_id=product_id) from None
            raise _unavailable("catalog", error) from None
        if not reply.HasField("discount"):
            return None
        amount, _ = protomoney.from_proto(reply.discount.amount)
        return DiscountLine(reply.discount.code, reply.discount.description, amount)

    async def release(self, order_id: str) -> bool:
        """Give the order's stock back (idempotent); True when something was held."""
        reply = await self._catalog.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=order_id))
        return reply.released


class ShippingClient:
    def __init__(self, channel: grpc.aio.Channel):
        self._stub = shipping_pb2_grpc.ShippingServiceStub(channel)

    async def quote(self, address: shipping_pb2.Address, lines: list[tuple[str, int]], currency: str,
                    subtotal: Decimal) -> Decimal:
        request = shipping_pb2.GetQuoteRequest(
            address=address, items=[shipping_pb2.ShipmentItem(product_id=p, quantity=q) for p, q in lines],
            currency_code=currency, subtotal=protomoney.to_proto(subtotal, currency))
        try:
            reply = await self._stub.GetQuote(request)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                details = error.details() or ""
                # shippingservice names the field first: "address.postal_code: ..."
                field = field_of(error) or (details.split(":", 1)[0] if details.startswith("address.") else "address")
                raise InvalidArgument(details, field=field) from None
            raise _unavailable("shipping service", error) from None
        return protomoney.from_proto(reply.cost)[0]

    async def cancel_shipment(self, order_id: str, reason: str) -> None:
        """Make sure the order never ships (idempotent). AlreadyShipped when it is with the
        carrier; DependencyUnavailable when shipping gave no answer (a call that timed out
        may still have stopped the shipment: its ShipmentCancelled event then finishes the
        cancellation, consumer.py)."""
        try:
            await self._stub.CancelShipment(shipping_pb2.CancelShipmentRequest(order_id=order_id, reason=reason))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise AlreadyShipped(order_id, reason_of(error)[1].get("tracking_id", "")) from None
            raise DependencyUnavailable(f"the shipping service cannot be reached ({error.code().name}), so the "
                                        "order could not be cancelled right now; please try again shortly") from None


class PaymentClient:
    def __init__(self, channel: grpc.aio.Channel):
        self._stub = payment_pb2_grpc.PaymentServiceStub(channel)

    async def authorize(self, order_id: str, amount: Decimal, currency: str, card: payment_pb2.CreditCard) -> str:
        """The payment id of a successful authorization."""
        request = payment_pb2.AuthorizeRequest(order_id=order_id, amount=protomoney.to_proto(amount, currency),
                                               credit_card=card)
        try:
            reply = await self._stub.Authorize(request)
        except grpc.aio.AioRpcError as error:
            code = error.code()
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(error.details(), field=field_of(error) or "credit_card") from None
            if code == grpc.StatusCode.FAILED_PRECONDITION:
                reason, _ = reason_of(error)
                raise OrderRefused(error.details(), reason or "CARD_DECLINED") from None
            raise _unavailable("payment service", error) from None
        return reply.payment.id

    async def void(self, payment_id: str) -> None:
        await self._stub.Void(payment_pb2.VoidRequest(payment_id=payment_id))

    async def latest_for_order(self, order_id: str) -> Payment | None:
        """The order's latest payment attempt (there is at most one that was not
        declined, and no attempt follows it), or None when it has none."""
        try:
            reply = await self._stub.GetPayment(payment_pb2.GetPaymentRequest(order_id=order_id))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        status = payment_pb2.PaymentStatus.Name(reply.payment.status).removeprefix("PAYMENT_STATUS_")
        return Payment(reply.payment.id, status)
