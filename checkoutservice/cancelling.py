"""CancelOrder and CancelAnyOrder: stop the shipment, then cancel the order.

shippingservice ships an order when it hears that the order is PAID, so cancelling a
PAID order in checkout alone could race a parcel already on its way to the carrier
(docs/decisions/0004). So, for a PAID order, checkout first calls shipping's
CancelShipment, and cancels the order only when shipping has recorded that the order
must never ship. If the order has already shipped, the cancel is refused (AlreadyShipped,
FAILED_PRECONDITION ALREADY_SHIPPED); if shipping does not answer, it fails
(DependencyUnavailable, UNAVAILABLE) and the order stays as it was.

No lock is held while shipping is called: under load, slow calls holding row locks
and pooled connections would starve PlaceOrder. Instead the order is read, shipping is
called if it is PAID, and the change is made under the row lock only if the order is
still in a state that call covered; if it became PAID meanwhile (it was PLACED when read),
the cancel looks again and stops the shipment first. A PLACED order needs no call:
shipping ships only on the PAID event, and a cancelled order can no longer be paid.

A failure after shipping stopped the shipment but before the order's change committed
(a lost connection, the process killed, a call that timed out after it landed) cannot
strand a paid order that will never ship: CancelShipment is idempotent, so a retry
finishes the job, and shipping announces every shipment it stops (ShipmentCancelled, in
the same transaction as the stop), and checkout cancels a PAID order on hearing it
(consumer.py). A stopped shipment therefore always ends in a CANCELLED order, refunded."""
from __future__ import annotations

from checkoutservice import convert, orders
from checkoutservice.clients import ShippingClient
from checkoutservice.errors import DependencyUnavailable
from checkoutservice.repository import OrderMoved, OrderRepository


# Looks before giving up when the order keeps moving under the cancel (PLACED, then PAID).
ATTEMPTS = 3


class OrderCanceller:
    def __init__(self, repository: OrderRepository, shipping: ShippingClient):
        self._repo = repository
        self._shipping = shipping

    async def cancel(self, order_id: str, reason: str, *, user_id: str | None) -> orders.Order:
        """The cancelled order (or the order unchanged, if it already was). user_id None
        is an admin's cancel, of anyone's order."""
        reason = orders.check_reason(reason)
        for _ in range(ATTEMPTS):
            order = await self._repo.get(order_id, user_id)
            stopped = order.status == orders.Status.PAID
            if stopped:
                await self._shipping.cancel_shipment(order.id, reason)  # no lock held
            try:
                return await self._repo.change(
                    order_id, lambda current, now: orders.cancellation(current, now, reason),
                    convert.cancelled_events(by_admin=user_id is None), user_id=user_id,
                    only_if=lambda current: stopped or current.status != orders.Status.PAID,
                    cause="CancelAnyOrder" if user_id is None else "CancelOrder",
                )
            except OrderMoved:
                continue  # it became PAID after the look: stop its shipment first
        raise DependencyUnavailable("the order kept changing while it was being cancelled; please try again")
