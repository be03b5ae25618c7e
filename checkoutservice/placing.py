"""PlaceOrder, step by step, as DESIGN.md orders them: read the cart, price every line
from the catalog in the order's currency, quote shipping, reserve the stock, authorize
the payment, store the order with its OrderPlaced event in one transaction, empty the
cart. A failure undoes what came before (stock released, authorization voided), so a
failed checkout leaves nothing behind."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from checkoutservice import orders
from checkoutservice.clients import CartClient, CatalogClient, PaymentClient, ShippingClient
from checkoutservice.errors import OrderRefused
from checkoutservice.repository import DuplicateRequest, Events, OrderRepository

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
        if request_id:
            earlier = await self._repo.find_by_request(checkout.user_id, request_id)
            if earlier:
                return earlier

        items = await self._cart.items(checkout.user_id)
        if not items:
            raise OrderRefused("your cart is empty", "CART_EMPTY")
        lines = await self._priced_lines(items, checkout.currency)
        subtotal = sum((line.total for line in lines), start=Decimal(0))
        shipping_cost = await self._shipping.quote(checkout.address, items, checkout.currency, subtotal)

        order_id = orders.new_order_id()
        await self._catalog.reserve(order_id, items)
        try:
            payment_id = await self._payment.authorize(order_id, subtotal + shipping_cost, checkout.currency,
                                                       checkout.card)
        except BaseException:
            await self._undo(order_id, payment_id=None)
            raise
        order = orders.Order(
            id=order_id, user_id=checkout.user_id, email=email, status=orders.Status.PLACED, lines=tuple(lines),
            address=self._address_of(checkout.address), currency=checkout.currency, shipping_cost=shipping_cost,
            payment_id=payment_id, request_id=request_id,
        )
        try:
            stored = await self._repo.create(order, self._placed_events(order))
        except DuplicateRequest:  # a concurrent retry of the same checkout won the race
            await self._undo(order_id, payment_id)
            return await self._repo.find_by_request(checkout.user_id, request_id)
        except BaseException:
            await self._undo(order_id, payment_id)
            raise
        try:
            await self._cart.empty(checkout.user_id)
        except Exception:  # the order stands; a cart left full is the lesser harm
            log.warning("order placed but the cart could not be emptied", extra={"order_id": order_id})
        return stored

    async def _priced_lines(self, items: list[tuple[str, int]], currency: str) -> list[orders.Line]:
        """Each line at the catalog's price now, converted to the order's currency (never
        a price from the client)."""
        products = await self._catalog.products([product_id for product_id, _ in items])

        async def unit_price(product_id: str):
            _name, price, price_currency = products[product_id]
            return await self._catalog.convert(price, price_currency, currency)

        prices = await asyncio.gather(*(unit_price(product_id) for product_id, _ in items))
        return [orders.Line(product_id, products[product_id][0], quantity, price)
                for (product_id, quantity), price in zip(items, prices)]

    async def _undo(self, order_id: str, payment_id: str | None) -> None:
        """Give back what a failed checkout took: the authorization, then the stock.
        Retried briefly; what still fails is logged loudly for an operator."""
        steps = ([("void the authorization", lambda: self._payment.void(payment_id))] if payment_id else [])
        steps.append(("release the stock", lambda: self._catalog.release(order_id)))
        for what, step in steps:
            try:
                async for attempt in AsyncRetrying(stop=stop_after_attempt(3), wait=wait_exponential(0.1, max=1),
                                                   reraise=True):
                    with attempt:
                        await step()
            except Exception:
                log.error("could not %s after a failed checkout", what, exc_info=True,
                          extra={"order_id": order_id, "payment_id": payment_id})
