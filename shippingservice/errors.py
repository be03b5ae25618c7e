"""What can go wrong in shipping, named. server.py maps each to a status code."""

import re

_FIELD_PATH = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")


class ShippingError(Exception):
    """Base of shipping's named errors; the message is meant for the caller."""


class InvalidArgument(ShippingError):
    """Messages begin with the field they are about ("address.postal_code ..."); that
    field becomes the status's google.rpc.BadRequest field."""

    @property
    def field(self) -> str:
        first = str(self).split(" ", 1)[0].rstrip(":")
        return first if _FIELD_PATH.match(first) else ""


class UnsupportedCurrency(InvalidArgument):
    def __init__(self, code: str):
        super().__init__(f"currency_code {code!r} is not one the shop supports")
        self.code = code


class ShipmentNotFound(ShippingError):
    def __init__(self, tracking_id: str):
        super().__init__(f"there is no shipment with tracking id {tracking_id!r}")
        self.tracking_id = tracking_id


class OrderCancelled(ShippingError):
    """ShipOrder for an order whose shipment was cancelled."""

    def __init__(self, order_id: str):
        super().__init__(f"order {order_id!r} was cancelled, so it will not ship")
        self.order_id = order_id


class AlreadyShipped(ShippingError):
    """CancelShipment for an order that is already with the carrier."""

    def __init__(self, order_id: str, tracking_id: str):
        super().__init__(
            f"order {order_id!r} has already shipped (tracking id {tracking_id}) and can no longer be stopped"
        )
        self.order_id = order_id
        self.tracking_id = tracking_id
        # The status's ErrorInfo, so a caller (checkout's cancel) can tell this refusal apart.
        self.reason = "ALREADY_SHIPPED"
        self.metadata = {"tracking_id": tracking_id}


class DependencyUnavailable(ShippingError):
    """A service this one needs did not answer in time; the caller may retry."""


class TrackingIdTaken(ShippingError):
    """A new tracking id collided with an existing one; the shipment is retried with another."""
