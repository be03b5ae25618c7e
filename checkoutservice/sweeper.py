"""The abandoned-checkout sweeper: a background worker that gives back what a checkout
took when its process died between reserving stock and storing the order.

Every `interval` seconds it claims, one at a time, the checkout attempts older than
`older_than` seconds (placing.py records one before reserving; storing the order, or a
successful undo, deletes it). A claim is a lease (claimed_until, CLAIM_SECONDS), taken
in a short transaction with FOR UPDATE SKIP LOCKED, so replicas share the work and no
row lock or pooled connection is held while the sweeper calls other services. Once
claimed, an attempt can no longer become an order (storing deletes only an attempt never
claimed), so whether its order exists, read with the claim, stays true. The sweeper asks
paymentservice for the order's payment, then voids an authorization and releases the
stock (abandonment.py decides). Both calls are idempotent. Only when they succeed is the
attempt deleted, and only while the claim is still this sweeper's; a failure expires the
claim at once and leaves the attempt for the next sweep. Each attempt swept is one JSON
log line and one count of shop_checkout_abandoned_total."""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from service_runtime.periodic import Periodic

from checkoutservice import abandonment
from checkoutservice.abandonment import Outcome
from checkoutservice.clients import CatalogClient, PaymentClient
from checkoutservice.metrics import ABANDONED
from checkoutservice.repository import Attempt, ClaimedAttempt, OrderRepository

log = logging.getLogger("checkoutservice.sweeper")

# How long a claim keeps other sweepers off an attempt: far longer than its three calls
# may take (each bounded by the client's deadline).
CLAIM_SECONDS = 120.0


@dataclass
class Swept:
    """What sweeping one attempt did, for its log line."""

    attempt: Attempt
    outcome: Outcome = Outcome.FAILED
    payment: abandonment.Payment | None = None
    voided: bool = False
    stock_released: bool | None = None  # whether the catalog still held stock for it
    error: str = ""


class AbandonedCheckoutSweeper(Periodic):
    def __init__(self, repository: OrderRepository, catalog: CatalogClient, payment: PaymentClient, *,
                 older_than: float, interval: float, batch: int = 100):
        super().__init__("abandoned-checkout sweeper", interval, self._round)
        self._repo = repository
        self._catalog = catalog
        self._payment = payment
        self._older_than = older_than
        self._batch = batch

    async def _round(self) -> None:
        await self.sweep()  # then a pause, always: an attempt that failed waits for the next round

    async def sweep(self) -> list[Swept]:
        """One pass: each abandoned attempt at most once (up to `batch`)."""
        done: list[Swept] = []
        passed: set[str] = set()
        while len(done) < self._batch and not self.stopping:
            swept = await self._sweep_one(passed)
            if swept is None:
                break
            passed.add(swept.attempt.order_id)
            done.append(swept)
        return done

    async def _sweep_one(self, passed: set[str]) -> Swept | None:
        claimed = await self._repo.claim_abandoned_attempt(self._older_than, CLAIM_SECONDS, passed)
        if claimed is None:
            return None
        swept = Swept(claimed.attempt)
        try:
            plan = await self._give_back(claimed, swept)
            if not await self._repo.end_claim(claimed, forget=plan.forget):
                swept.error = "the claim had passed to another sweep, or the attempt was gone"
        except Exception as exc:
            swept.outcome = Outcome.FAILED  # the attempt stays, for the next sweep
            swept.error = f"{exc.__class__.__name__}: {exc}"[:300]
            with contextlib.suppress(Exception):  # else its claim simply runs out
                await self._repo.end_claim(claimed, forget=False)
        _record(swept)
        return swept

    async def _give_back(self, claimed: ClaimedAttempt, swept: Swept) -> abandonment.Plan:
        order_id = claimed.attempt.order_id
        if not claimed.order_exists:
            swept.payment = await self._payment.latest_for_order(order_id)
        plan = abandonment.plan(order_exists=claimed.order_exists, payment=swept.payment)
        if plan.void:
            await self._payment.void(plan.void)
            swept.voided = True
        if plan.release:
            swept.stock_released = await self._catalog.release(order_id)
        swept.outcome = plan.outcome
        return plan


def _record(swept: Swept) -> None:
    ABANDONED.labels(swept.outcome.value).inc()
    level = {Outcome.RELEASED: logging.INFO, Outcome.ORDER_EXISTS: logging.WARNING,
             Outcome.FAILED: logging.WARNING, Outcome.NEEDS_ATTENTION: logging.ERROR}[swept.outcome]
    log.log(level, "abandoned checkout swept", extra={
        "order_id": swept.attempt.order_id, "user_id": swept.attempt.user_id,
        "age_seconds": round(swept.attempt.age_seconds, 1), "outcome": swept.outcome.value,
        "payment_id": swept.payment.id if swept.payment else "",
        "payment_status": swept.payment.status if swept.payment else "",
        "voided": swept.voided, "stock_released": swept.stock_released,
        **({"error": swept.error} if swept.error else {}),
    })
