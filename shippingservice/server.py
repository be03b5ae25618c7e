"""The shipping gRPC servicer: protobuf in, domain call, protobuf out. Nothing else."""
from __future__ import annotations

import grpc

from service_runtime import fault_flags, money, protomoney
from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from service_runtime.prototime import to_timestamp
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc

from shippingservice import errors, quotes
from shippingservice.addresses import Address
from shippingservice.items import ShipmentItem
from shippingservice.progress import Progress, ShipmentStatus
from shippingservice.rates import HOME_ZONE
from shippingservice.shipments import Shipment, Shipper

# The one table from shipping's named errors to status codes.
STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    money.InvalidMoney: grpc.StatusCode.INVALID_ARGUMENT,
    errors.ShipmentNotFound: grpc.StatusCode.NOT_FOUND,
    errors.OrderCancelled: grpc.StatusCode.FAILED_PRECONDITION,
    errors.AlreadyShipped: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DependencyUnavailable: grpc.StatusCode.UNAVAILABLE,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}

_STATUS_TO_PROTO = {status: shipping_pb2.ShipmentStatus.Value(f"SHIPMENT_STATUS_{status.name}")
                    for status in ShipmentStatus}


def address_from_proto(message: shipping_pb2.Address) -> Address:
    return Address(
        name=message.name, address_lines=tuple(message.address_lines), city=message.city,
        region=message.region, postal_code=message.postal_code, country_code=message.country_code,
    )


def address_to_proto(address: Address) -> shipping_pb2.Address:
    return shipping_pb2.Address(
        name=address.name, address_lines=address.address_lines, city=address.city,
        region=address.region, postal_code=address.postal_code, country_code=address.country_code,
    )


def items_from_proto(items) -> tuple[ShipmentItem, ...]:
    return tuple(ShipmentItem(item.product_id, item.quantity) for item in items)


def _address_if_given(request) -> Address | None:
    return address_from_proto(request.address) if request.HasField("address") else None


def quote_request_from_proto(request: shipping_pb2.GetQuoteRequest) -> quotes.QuoteRequest:
    subtotal, subtotal_currency = None, ""
    if request.HasField("subtotal"):
        try:
            subtotal = money.from_units_nanos(request.subtotal.units, request.subtotal.nanos)
        except money.InvalidMoney as exc:
            raise errors.InvalidArgument(f"subtotal: {exc}") from None
        subtotal_currency = request.subtotal.currency_code
    return quotes.QuoteRequest(
        address=_address_if_given(request), items=items_from_proto(request.items),
        currency_code=request.currency_code, subtotal=subtotal, subtotal_currency=subtotal_currency,
    )


def quote_to_proto(quote: quotes.Quote) -> shipping_pb2.GetQuoteResponse:
    code = quote.currency_code
    threshold = quote.free_shipping_threshold
    return shipping_pb2.GetQuoteResponse(
        cost=protomoney.to_proto(quote.cost, code),
        breakdown=[shipping_pb2.QuoteLine(description=line.description, amount=protomoney.to_proto(line.amount, code))
                   for line in quote.lines],
        zone=quote.zone,
        free_shipping_threshold=protomoney.to_proto(threshold, code) if threshold is not None else None,
        min_delivery_days=quote.min_delivery_days, max_delivery_days=quote.max_delivery_days,
    )


def shipment_to_proto(shipment: Shipment, progress: Progress) -> shipping_pb2.Shipment:
    return shipping_pb2.Shipment(
        tracking_id=shipment.tracking_id, order_id=shipment.order_id, carrier=shipment.carrier,
        status=_STATUS_TO_PROTO[progress.status], address=address_to_proto(shipment.address),
        items=[shipping_pb2.ShipmentItem(product_id=i.product_id, quantity=i.quantity) for i in shipment.items],
        ship_time=to_timestamp(shipment.ship_time),
        estimated_delivery_time=to_timestamp(shipment.estimated_delivery_time),
        delivery_time=to_timestamp(progress.delivery_time),
        events=[
            shipping_pb2.TrackingEvent(status=_STATUS_TO_PROTO[e.status], time=to_timestamp(e.time),
                                       location=e.location, description=e.description)
            for e in progress.events
        ],
    )


class ShippingServicer(shipping_pb2_grpc.ShippingServiceServicer):
    def __init__(self, shipper: Shipper, converter: quotes.Converter):
        self._shipper = shipper
        self._converter = converter

    async def GetQuote(self, request, context):
        quote = await quotes.quote(quote_request_from_proto(request), self._converter)
        if quote.zone != HOME_ZONE:  # the shippingSlowdown fault flag
            await fault_flags.delay("shippingSlowdown", f"quote to zone {quote.zone}")
        return quote_to_proto(quote)

    async def ShipOrder(self, request, context):
        shipment, newly = await self._shipper.ship_order(
            request.order_id, _address_if_given(request), items_from_proto(request.items)
        )
        return shipping_pb2.ShipOrderResponse(
            shipment=shipment_to_proto(shipment, self._shipper.progress_of(shipment)), newly_shipped=newly
        )

    async def TrackShipment(self, request, context):
        shipment, progress = await self._shipper.track(request.tracking_id)
        return shipping_pb2.TrackShipmentResponse(shipment=shipment_to_proto(shipment, progress))

    async def CancelShipment(self, request, context):
        newly = await self._shipper.cancel(request.order_id, request.reason)
        return shipping_pb2.CancelShipmentResponse(newly_cancelled=newly)
