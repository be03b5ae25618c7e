"""All catalog storage: products, categories and stock reservations in PostgreSQL.
Every query is parameterized; each write is one transaction."""
from __future__ import annotations

from datetime import datetime, timezone

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from service_runtime import outbox
from service_runtime.paging import Paging

from catalogservice import coupon_repository
from catalogservice.errors import (
    ImageNotFound, InvalidArgument, NotEnoughStock, OutOfStock, ProductExists, ProductNotFound, ReservationConflict,
)
from catalogservice.coupon_repository import Redemption
from catalogservice.coupons import Discount
from catalogservice.currency import RateTable
from catalogservice.products import Product

_PRODUCT_COLUMNS = """
    p.id, p.name, p.description, p.image_url, p.price, p.price_currency, p.stock,
    p.created_at, p.updated_at,
    ARRAY(SELECT pc.category_slug FROM product_categories pc
          WHERE pc.product_id = p.id ORDER BY pc.category_slug) AS categories
"""


def _product(row: dict) -> Product:
    return Product(
        id=row["id"], name=row["name"], description=row["description"], image_url=row["image_url"],
        price=row["price"], currency=row["price_currency"].strip(), categories=tuple(row["categories"]),
        stock=row["stock"], created_at=row["created_at"], updated_at=row["updated_at"],
    )


class CatalogRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def _fetch(self, query: str, params: dict | tuple = ()) -> list[dict]:
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(query, params)
            return await cur.fetchall()

    # Loading the read model (read_model.py) ----------------------------------

    async def load_all(self) -> tuple[list[tuple[str, str]], list[Product]]:
        """Every category as (slug, name) and every live product, each in listing order
        (categories by position and name; products by name and id), from one snapshot."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute("SELECT slug, name FROM categories ORDER BY position, name")
            categories = [(row["slug"], row["name"]) for row in await cur.fetchall()]
            await cur.execute(f"SELECT {_PRODUCT_COLUMNS} FROM products p WHERE p.deleted_at IS NULL ORDER BY p.name, p.id")
            found = [_product(row) for row in await cur.fetchall()]
        return categories, found

    async def load_products(self, ids: list[str]) -> dict[str, Product]:
        """The live products among these ids, by id (a deleted or unknown id is absent)."""
        rows = await self._fetch(
            f"SELECT {_PRODUCT_COLUMNS} FROM products p WHERE p.id = ANY(%s) AND p.deleted_at IS NULL",
            (list(set(ids)),),
        )
        return {row["id"]: _product(row) for row in rows}

    async def _stored(self, product_id: str) -> Product:
        found = await self.load_products([product_id])
        if product_id not in found:
            raise ProductNotFound(product_id)
        return found[product_id]

    # Reading ------------------------------------------------------------------

    async def search(self, tsquery: str, paging: Paging) -> tuple[list[Product], int]:
        params = {"q": tsquery, "limit": paging.limit, "offset": paging.offset}
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"""SELECT {_PRODUCT_COLUMNS} FROM products p, to_tsquery('english', %(q)s) q
                    WHERE p.deleted_at IS NULL AND p.search @@ q
                    ORDER BY ts_rank(p.search, q) DESC, p.name, p.id
                    LIMIT %(limit)s OFFSET %(offset)s""",
                params,
            )
            rows = await cur.fetchall()
            await cur.execute(
                """SELECT count(*) AS n FROM products p, to_tsquery('english', %(q)s) q
                   WHERE p.deleted_at IS NULL AND p.search @@ q""",
                params,
            )
            total = (await cur.fetchone())["n"]
        return [_product(r) for r in rows], total

    # Administration -----------------------------------------------------------

    @staticmethod
    async def _check_categories(cur, slugs: tuple[str, ...]) -> None:
        await cur.execute("SELECT slug FROM categories WHERE slug = ANY(%s)", (list(slugs),))
        known = {row["slug"] for row in await cur.fetchall()}
        for slug in slugs:
            if slug not in known:
                raise InvalidArgument(f"category {slug!r} does not exist")

    @staticmethod
    async def _set_categories(cur, product_id: str, slugs: tuple[str, ...]) -> None:
        await cur.execute("DELETE FROM product_categories WHERE product_id = %s", (product_id,))
        await cur.executemany(
            "INSERT INTO product_categories (product_id, category_slug) VALUES (%s, %s)",
            [(product_id, slug) for slug in slugs],
        )

    async def create(self, product: Product) -> Product:
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            await self._check_categories(cur, product.categories)
            try:
                await cur.execute(
                    """INSERT INTO products (id, name, description, image_url, price, price_currency, stock)
                       VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                    (product.id, product.name, product.description, product.image_url,
                     product.price, product.currency, product.stock),
                )
            except psycopg.errors.UniqueViolation:
                raise ProductExists(product.id) from None
            await self._set_categories(cur, product.id, product.categories)
        return await self._stored(product.id)

    async def get_for_update(self, conn, product_id: str) -> Product:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            f"SELECT {_PRODUCT_COLUMNS} FROM products p WHERE p.id = %s AND p.deleted_at IS NULL FOR UPDATE",
            (product_id,),
        )
        row = await cur.fetchone()
        if row is None:
            raise ProductNotFound(product_id)
        return _product(row)

    async def update(self, product_id: str, change) -> Product:
        """Apply change(current) -> new product under a row lock, so concurrent updates
        never overwrite each other's fields."""
        async with self._pool.connection() as conn, conn.transaction():
            current = await self.get_for_update(conn, product_id)
            product = change(current)
            cur = conn.cursor(row_factory=dict_row)
            await self._check_categories(cur, product.categories)
            await cur.execute(
                """UPDATE products SET name = %s, description = %s, image_url = %s, price = %s,
                          price_currency = %s, stock = %s, updated_at = now()
                   WHERE id = %s""",
                (product.name, product.description, product.image_url, product.price,
                 product.currency, product.stock, product_id),
            )
            if product.categories != current.categories:
                await self._set_categories(cur, product_id, product.categories)
        return await self._stored(product_id)

    async def delete(self, product_id: str) -> None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE products SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL", (product_id,)
            )
            if cur.rowcount == 0:
                raise ProductNotFound(product_id)

    # Stock --------------------------------------------------------------------

    async def store_image(self, name: str, content_type: str, data: bytes) -> None:
        """Keep an uploaded image; the same name again is the same bytes (named by content)."""
        async with self._pool.connection() as conn:
            await conn.execute(
                """INSERT INTO product_images (name, content_type, data) VALUES (%s, %s, %s)
                   ON CONFLICT (name) DO NOTHING""", (name, content_type, data))

    async def image(self, name: str) -> tuple[str, bytes]:
        rows = await self._fetch("SELECT content_type, data FROM product_images WHERE name = %s", (name,))
        if not rows:
            raise ImageNotFound(name)
        return rows[0]["content_type"], bytes(rows[0]["data"])

    async def reserve(self, order_id: str, lines: dict[str, int], redemption: Redemption | None = None, *,
                      rates: RateTable | None = None) -> tuple[bool, Discount | None]:
        """Take every line's quantity off stock for the order, and redeem its coupon, or
        nothing. (True when this call made the reservation, False when it already existed
        with the same lines; the discount as redeemed, or None without a coupon)."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            # The order's row is the idempotency key: a concurrent retry waits here until
            # the first call commits, then sees the reservation.
            await cur.execute(
                """INSERT INTO stock_reservations (order_id, status) VALUES (%s, 'reserved')
                   ON CONFLICT (order_id) DO NOTHING RETURNING order_id""",
                (order_id,),
            )
            if await cur.fetchone() is None:
                await self._check_same_reservation(cur, order_id, lines)
                return False, await coupon_repository.redeemed(cur, order_id)
            for product_id, quantity in lines.items():  # id order: no deadlocks
                await cur.execute(
                    """UPDATE products SET stock = stock - %(q)s, updated_at = now()
                       WHERE id = %(id)s AND deleted_at IS NULL AND stock >= %(q)s RETURNING stock""",
                    {"id": product_id, "q": quantity},
                )
                if await cur.fetchone() is None:
                    await cur.execute(
                        "SELECT name, stock FROM products WHERE id = %s AND deleted_at IS NULL", (product_id,)
                    )
                    product = await cur.fetchone()
                    if product is None:
                        raise ProductNotFound(product_id)
                    raise OutOfStock(product_id, product["name"], quantity, product["stock"])
                await cur.execute(
                    "INSERT INTO stock_reservation_lines (order_id, product_id, quantity) VALUES (%s, %s, %s)",
                    (order_id, product_id, quantity),
                )
            if redemption is None:
                return True, None
            return True, await coupon_repository.redeem(cur, order_id, redemption, rates=rates,
                                                        now=datetime.now(timezone.utc))

    @staticmethod
    async def _check_same_reservation(cur, order_id: str, lines: dict[str, int]) -> None:
        await cur.execute("SELECT status FROM stock_reservations WHERE order_id = %s", (order_id,))
        if (await cur.fetchone())["status"] == "released":
            raise ReservationConflict(f"the reservation for order {order_id!r} was released")
        await cur.execute(
            "SELECT product_id, quantity FROM stock_reservation_lines WHERE order_id = %s", (order_id,)
        )
        held = {row["product_id"]: row["quantity"] for row in await cur.fetchall()}
        if held != lines:
            raise ReservationConflict(f"order {order_id!r} already holds a reservation with other lines")

    async def fulfil(self, order_id: str, handled_event: tuple[str, str]) -> bool:
        """The order shipped: its reservation's units are sold, no longer held. Once; False
        when there was nothing held (released, fulfilled, or never reserved)."""
        async with self._pool.connection() as conn, conn.transaction():
            await outbox.claim(conn, *handled_event)
            cur = await conn.execute(
                """UPDATE stock_reservations SET status = 'fulfilled', fulfilled_at = now()
                   WHERE order_id = %s AND status = 'reserved'""", (order_id,))
            return cur.rowcount == 1

    async def adjust_stock(self, product_id: str, delta: int) -> Product:
        """Add delta (negative: take off) to what is available, never below 0."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """UPDATE products SET stock = stock + %(d)s, updated_at = now()
                   WHERE id = %(id)s AND deleted_at IS NULL AND stock + %(d)s >= 0 RETURNING id""",
                {"id": product_id, "d": delta})
            if await cur.fetchone() is None:
                current = await self._stored(product_id)  # ProductNotFound when there is none
                raise NotEnoughStock(current.name, current.stock, -delta)
        return await self._stored(product_id)

    async def stock_held(self, product_ids: list[str]) -> dict[str, tuple[int, int]]:
        """Per product: (units held by orders not yet shipped, cancelled or failed; those orders)."""
        rows = await self._fetch(
            """SELECT l.product_id, sum(l.quantity)::int AS units, count(*)::int AS orders
                 FROM stock_reservation_lines l JOIN stock_reservations r USING (order_id)
                WHERE r.status = 'reserved' AND l.product_id = ANY(%s)
                GROUP BY l.product_id""", (product_ids,))
        return {row["product_id"]: (row["units"], row["orders"]) for row in rows}

    async def release(self, order_id: str, handled_event: tuple[str, str] | None = None) -> list[str]:
        """Give the order's stock back once; the ids of the products it went back to (none
        when there was nothing to give back). handled_event: the (event id, type) that
        asked for it, recorded in the same transaction (the release is idempotent anyway:
        once per order)."""
        async with self._pool.connection() as conn, conn.transaction():
            if handled_event:
                await outbox.claim(conn, *handled_event)
            cur = await conn.execute(
                """UPDATE stock_reservations SET status = 'released', released_at = now()
                   WHERE order_id = %s AND status = 'reserved'""",
                (order_id,),
            )
            if cur.rowcount == 0:
                return []
            cur = await conn.execute(
                """UPDATE products p SET stock = p.stock + l.quantity, updated_at = now()
                   FROM stock_reservation_lines l
                   WHERE l.order_id = %s AND p.id = l.product_id RETURNING p.id""",
                (order_id,),
            )
            return [row[0] for row in await cur.fetchall()]
