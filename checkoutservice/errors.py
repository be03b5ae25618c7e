"""What can go wrong with an order, named. server.py maps each to a status code; the
`reason`, `metadata` and `field` attributes become the status's standard details."""


class CheckoutError(Exception):
    """Base of checkout's named errors; the message is meant for the customer."""


class InvalidArgument(CheckoutError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


class OrderNotFound(CheckoutError):
    def __init__(self, order_id: str):
        super().__init__(f"order {order_id!r} does not exist")


class OrderRefused(CheckoutError):
    """The order cannot be placed as it stands; `reason` says why, for programs."""

    def __init__(self, message: str, reason: str, **metadata: str):
        super().__init__(message)
        self.reason = reason
        self.metadata = metadata


class IllegalTransition(CheckoutError):
    """An order cannot move from its status to the one asked."""


class AlreadyShipped(IllegalTransition):
    """A cancellation came too late: the order is with the carrier, whether checkout has
    heard so yet (status SHIPPED) or only shippingservice knows (CancelShipment said so)."""

    def __init__(self, order_id: str, tracking_id: str = ""):
        tracking = f" (tracking id {tracking_id})" if tracking_id else ""
        super().__init__(f"order {order_id} has already shipped and can no longer be cancelled{tracking}")
        self.reason = "ALREADY_SHIPPED"
        self.metadata = {"tracking_id": tracking_id} if tracking_id else {}


class DependencyUnavailable(CheckoutError):
    """A service checkout needs cannot be reached right now."""
