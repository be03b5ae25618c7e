"""Coupons and their redemptions in PostgreSQL (decision 0016). A redemption is written in
the transaction of its order's stock reservation (`redeem`, called by
CatalogRepository.reserve) under a lock on the coupon's row, so limits hold under any
number of concurrent checkouts; it counts while its reservation is held or fulfilled."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from catalogservice import coupons
from catalogservice.coupons import Coupon, CouponRefused, Discount, Kind, Line, Refusal
from catalogservice.currency import RateTable
from catalogservice.errors import CouponExists, CouponNotFound

# Redemptions that count: their reservation is not released.
_HELD = """FROM coupon_redemptions r JOIN stock_reservations s USING (order_id)
           WHERE s.status <> 'released'"""


@dataclass(frozen=True)
class StoredCoupon:
    coupon: Coupon
    redemptions: int
    created_at: datetime


@dataclass(frozen=True)
class Redemption:
    """What ReserveStock asks to redeem: the code, and the order as checkout priced it."""
    code: str
    customer_id: str
    currency: str
    priced: dict[str, tuple[int, Decimal]]   # product id -> (quantity, unit price)


def _coupon(row: dict) -> Coupon:
    return Coupon(code=row["code"], kind=Kind(row["kind"]), value=row["value"],
                  currency=(row["currency"] or "").strip(),
                  min_subtotal=row["min_subtotal"], min_currency=(row["min_currency"] or "").strip(),
                  categories=frozenset(row["categories"]), currencies=frozenset(row["currencies"]),
                  valid_from=row["valid_from"], valid_until=row["valid_until"],
                  per_customer_limit=row["per_customer_limit"], total_limit=row["total_limit"], banner=row["banner"])


async def _uses(cur, code: str, customer_id: str) -> tuple[int, int]:
    await cur.execute(f"""SELECT count(*) AS total, count(*) FILTER (WHERE r.customer_id = %(customer)s) AS mine
                            {_HELD} AND r.code = %(code)s""", {"code": code, "customer": customer_id})
    row = await cur.fetchone()
    return row["total"], row["mine"]


async def _lines(cur, priced: dict[str, tuple[int, Decimal]]) -> list[Line]:
    await cur.execute("""SELECT product_id, array_agg(category_slug) AS categories FROM product_categories
                          WHERE product_id = ANY(%s) GROUP BY product_id""", (list(priced),))
    categories = {row["product_id"]: frozenset(row["categories"]) for row in await cur.fetchall()}
    return [Line(pid, categories.get(pid, frozenset()), quantity, price)
            for pid, (quantity, price) in sorted(priced.items())]


async def evaluate(cur, request: Redemption, *, rates: RateTable, now: datetime, lock: bool) -> Discount:
    """The discount the code gives this order now; CouponRefused says why not."""
    await cur.execute(f"SELECT * FROM coupons WHERE code = %s AND deleted_at IS NULL{' FOR UPDATE' if lock else ''}",
                      (request.code,))
    row = await cur.fetchone()
    if row is None:
        raise CouponRefused(request.code, Refusal.UNKNOWN)
    total, mine = await _uses(cur, request.code, request.customer_id)
    return coupons.discount(_coupon(row), await _lines(cur, request.priced), request.currency, now=now, rates=rates,
                            customer_id=request.customer_id, customer_uses=mine, total_uses=total)


async def redeem(cur, order_id: str, request: Redemption, *, rates: RateTable, now: datetime) -> Discount:
    """Redeem the code for the order, in the caller's (the reservation's) transaction."""
    found = await evaluate(cur, request, rates=rates, now=now, lock=True)
    await cur.execute("""INSERT INTO coupon_redemptions (order_id, code, customer_id, currency, amount, description)
                         VALUES (%s, %s, %s, %s, %s, %s)""",
                      (order_id, found.code, request.customer_id, request.currency, found.amount, found.description))
    return found


async def redeemed(cur, order_id: str) -> Discount | None:
    """The order's redemption as it was made (a retry of the reservation answers with it)."""
    await cur.execute("SELECT code, amount, description FROM coupon_redemptions WHERE order_id = %s", (order_id,))
    row = await cur.fetchone()
    return Discount(row["code"], row["amount"], Decimal(0), row["description"]) if row else None


class CouponRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def create(self, coupon: Coupon) -> StoredCoupon:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    """INSERT INTO coupons (code, kind, value, currency, min_subtotal, min_currency, categories,
                                            currencies, valid_from, valid_until, per_customer_limit, total_limit,
                                            banner)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (coupon.code, coupon.kind.value, coupon.value, coupon.currency or None, coupon.min_subtotal,
                     coupon.min_currency or None, sorted(coupon.categories), sorted(coupon.currencies),
                     coupon.valid_from, coupon.valid_until, coupon.per_customer_limit, coupon.total_limit,
                     coupon.banner))
        except psycopg.errors.UniqueViolation:
            raise CouponExists(coupon.code) from None
        return (await self._stored("code = %(code)s", {"code": coupon.code}))[0]

    async def list(self, limit: int, offset: int) -> tuple[list[StoredCoupon], int]:
        found = await self._stored(
            "deleted_at IS NULL ORDER BY created_at DESC, code LIMIT %(limit)s OFFSET %(offset)s",
            {"limit": limit, "offset": offset})
        async with self._pool.connection() as conn:
            (total,) = await (await conn.execute("SELECT count(*) FROM coupons WHERE deleted_at IS NULL")).fetchone()
        return found, total

    async def delete(self, code: str) -> None:
        async with self._pool.connection() as conn:
            cur = await conn.execute("UPDATE coupons SET deleted_at = now() WHERE code = %s AND deleted_at IS NULL",
                                     (code,))
            if cur.rowcount == 0:
                raise CouponNotFound(code)

    async def promotions(self, categories: list[str], limit: int) -> list[tuple[str, str]]:
        """(code, banner) of live, advertised codes that fit these categories, newest first."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"""SELECT c.code, c.banner FROM coupons c
                     WHERE c.deleted_at IS NULL AND c.banner <> ''
                       AND (c.valid_from IS NULL OR c.valid_from <= now())
                       AND (c.valid_until IS NULL OR c.valid_until > now())
                       AND (c.categories = '{{}}' OR c.categories && %(categories)s::text[])
                       AND (c.total_limit = 0 OR c.total_limit > (SELECT count(*) {_HELD} AND r.code = c.code))
                     ORDER BY c.created_at DESC, c.code LIMIT %(limit)s""",
                {"categories": categories, "limit": limit})
            return [(code, banner) for code, banner in await cur.fetchall()]

    async def price(self, request: Redemption, *, rates: RateTable, now: datetime) -> Discount:
        async with self._pool.connection() as conn:
            return await evaluate(conn.cursor(row_factory=dict_row), request, rates=rates, now=now, lock=False)

    async def _stored(self, where: str, params: dict) -> list[StoredCoupon]:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"""SELECT c.*, (SELECT count(*) {_HELD} AND r.code = c.code) AS redemptions
                                    FROM coupons c WHERE {where}""", params)
            return [StoredCoupon(_coupon(row), row["redemptions"], row["created_at"]) for row in await cur.fetchall()]
