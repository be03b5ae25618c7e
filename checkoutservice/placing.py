"""PlaceOrder, step by step, as DESIGN.md orders them: read the cart, price every line
from the catalog in the order's currency, quote shipping (on the subtotal), reserve the
stock and redeem the cart's coupon code in one step (decision 0016), authorize the payment
of what is left, store the order with its OrderPlaced event in one transaction, take the
ordered units out of the cart. A failure undoes what came before (stock released,
authorization voided), so a failed checkout leaves nothing behind.

Before it takes anything, a checkout records an attempt (order id, user, time) in the
orders database. The transaction that stores the order deletes it, and so does a failed
checkout once its undo has succeeded. An attempt that outlives its checkout (the process
died, or the undo failed) is found by the sweeper (sweeper.py), which gives back what it
holds. A call that failed without an answer (a timeout) may still take stock or
authorize after the undo has run, so its attempt is kept for the sweeper, which comes
when such a call must have landed."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from checkoutservice import orders
from checkoutservice.clients import CartClient, CatalogClient, Coupon, PaymentClient, ShippingClient
from checkoutservice.errors import DependencyUnavailable, InvalidArgument, OrderRefused
from checkoutservice.repository import AttemptGone, DuplicateRequest, Events, OrderRepository

log = logging.getLogger("checkoutservice.placing")


@dataclass(frozen=True)
class Checkout:
    """What the customer submitted. `address` and `card` are passed on untouched (to
    shipping and payment), so their protobuf form is kept."""

    user_id: str
    email: str
    currency: str
    address: object
    card: object
    request_id: str


class OrderPlacer:
    def __init__(self, cart: CartClient, catalog: CatalogClient, shipping: ShippingClient, payment: PaymentClient,
                 repository: OrderRepository, *, address_of: Callable, placed_events: Callable[[orders.Order], Events]):
        self._cart, self._catalog, self._shipping, self._payment = cart, catalog, shipping, payment
        self._repo = repository
        self._address_of = address_of          # protobuf Address -> orders.Address
        self._placed_events = placed_events    # the events a new order is announced with

    async def place(self, checkout: Checkout) -> orders.Order:
        email = orders.check_email(checkout.email)
        request_id = orders.check_request_id(checkout.request_id)
        if request_id:  # a retry finds its order (whatever the cart says); the cart is read meanwhile
            earlier, contents = await asyncio.gather(self._repo.find_by_request(checkout.user_id, request_id),
                                                     self._cart.contents(checkout.user_id), return_exceptions=True)
            if isinstance(earlier, BaseException):
                raise earlier
            if earlier:
                return earlier
            if isinstance(contents, BaseException):
                raise contents
        else:
            contents = await self._cart.contents(checkout.user_id)
        items, coupon_code = contents
        if not items:
            raise OrderRefused("your cart is empty", "CART_EMPTY")
        lines = await self._priced_lines(items, checkout.currency)
        subtotal = sum((line.total for line in lines), start=Decimal(0))
        shipping_cost = await self._shipping.quote(checkout.address, items, checkout.currency, subtotal)

        order_id = orders.new_order_id()
        await self._repo.record_attempt(order_id, checkout.user_id)
        coupon = (Coupon(coupon_code, checkout.currency, checkout.user_id, tuple(lines)) if coupon_code else None)
        try:
            discount = await self._catalog.reserve(order_id, items, coupon)
            discounts = (discount,) if discount else ()
            off = sum((d.amount for d in discounts), start=Decimal(0))
            payment_id = await self._payment.authorize(order_id, subtotal - off + shipping_cost, checkout.currency,
                                                       checkout.card)
        except BaseException as error:
            # A refusal is an answer: nothing more was taken. After anything else the
            # call may still land, so the attempt stays for the sweeper.
            await self._undo(order_id, payment_id=None, forget=isinstance(error, (OrderRefused, InvalidArgument)))
            raise
        order = orders.Order(
            id=order_id, user_id=checkout.user_id, email=email, status=orders.Status.PLACED, lines=tuple(lines),
            address=self._address_of(checkout.address), currency=checkout.currency, shipping_cost=shipping_cost,
            payment_id=payment_id, request_id=request_id, discounts=discounts,
        )
        try:
            stored = await self._repo.create(order, self._placed_events(order))
        except DuplicateRequest:  # a concurrent retry of the same checkout won the race
            await self._undo(order_id, payment_id, forget=True)
            return await self._repo.find_by_request(checkout.user_id, request_id)
        except AttemptGone:  # so slow that the sweeper took it for abandoned: give back the rest
            await self._undo(order_id, payment_id, forget=False)
            raise DependencyUnavailable("checkout took too long and was given up; nothing was charged or kept, "
                                        "please try again") from None
        except BaseException:
            # The order may be stored even so (the connection lost while committing): its
            # attempt, deleted by that commit, says which. Unknown: the sweeper decides.
            if await self._attempt_open(order_id):
                await self._undo(order_id, payment_id, forget=True)
            raise
        try:  # exactly what was ordered: a line added while the order was placed stays
            await self._cart.take_ordered(checkout.user_id, items, coupon_code)
        except Exception:  # the order stands; a cart left full is the lesser harm
            log.warning("order placed but the ordered items could not be taken out of the cart",
                        extra={"order_id": order_id})
        return stored

    async def _priced_lines(self, items: list[tuple[str, int]], currency: str) -> list[orders.Line]:
        """Each line at the catalog's price now, converted to the order's currency (never
        a price from the client)."""
        products = await self._catalog.products([product_id for product_id, _ in items])
        prices = await self._catalog.convert([products[product_id][1:] for product_id, _ in items], currency)
        return [orders.Line(product_id, products[product_id][0], quantity, price)
                for (product_id, quantity), price in zip(items, prices)]

    async def _attempt_open(self, order_id: str) -> bool:
        try:
            return await self._repo.attempt_open(order_id)
        except Exception:
            log.warning("cannot tell whether the order was stored; the sweeper will", exc_info=True,
                        extra={"order_id": order_id})
            return False

    async def _undo(self, order_id: str, payment_id: str | None, *, forget: bool) -> None:
        """Give back what a failed checkout took: the authorization, then the stock.
        Retried briefly; what still fails is logged loudly and left, with the attempt, to
        the sweeper. With `forget`, the attempt is deleted once everything was given back."""
        steps = ([("void the authorization", lambda: self._payment.void(payment_id))] if payment_id else [])
        steps.append(("release the stock", lambda: self._catalog.release(order_id)))
        undone = True
        for what, step in steps:
            try:
                async for attempt in AsyncRetrying(stop=stop_after_attempt(3), wait=wait_exponential(0.1, max=1),
                                                   reraise=True):
                    with attempt:
                        await step()
            except Exception:
                undone = False
                log.error("could not %s after a failed checkout; the sweeper will retry", what, exc_info=True,
                          extra={"order_id": order_id, "payment_id": payment_id})
        if undone and forget:
            try:
                await self._repo.forget_attempt(order_id)
            except Exception:  # the sweeper finds nothing left to give back, and deletes it
                log.warning("could not delete the checkout attempt", exc_info=True, extra={"order_id": order_id})
