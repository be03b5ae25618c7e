"""All recommendation storage: sales, pairs bought together and shoppers' recent orders
in PostgreSQL. Every query is parameterized; each event's effect is one transaction with
its claim (service_runtime.outbox.claim), so a redelivered event changes nothing."""
from __future__ import annotations

from datetime import date, datetime

from psycopg_pool import AsyncConnectionPool

from service_runtime import outbox
from service_runtime.pruning import DAY, Rule

from recommendationservice.purchases import Purchase, Sale, bought_together
from recommendationservice.ranking import Signals


def pruning_rules(*, popular_days: int, bought_lately_days: int) -> list[Rule]:
    """Rows that can no longer matter: sales older than the popularity window, shoppers'
    orders older than BOUGHT_LATELY_DAYS, and counted orders once no event about them can
    come again (the longer of the window and a week, beyond processed_events' keep)."""
    return [
        Rule("daily_sales", "day < (({cutoff}) AT TIME ZONE 'UTC')::date", popular_days * DAY),
        Rule("recent_purchases", "bought_at < {cutoff}", max(bought_lately_days, 1) * DAY),
        Rule("counted_orders", "counted_at < {cutoff}", max(popular_days, 8) * DAY),
    ]


# The signals of one query (SalesRepository.signals). Each part keeps its own order and
# limit; the rows come back tagged with their part and are ranked again in Python.
_SIGNALS = """
WITH bought AS (
    SELECT DISTINCT product_id FROM recent_purchases
     WHERE %(user_id)s <> '' AND user_id = %(user_id)s AND bought_at >= %(bought_since)s
), excluded AS (
    SELECT unnest(%(seeds)s::text[]) AS product_id UNION SELECT product_id FROM bought
), together AS (
    SELECT other_id AS product_id, sum(orders) AS n FROM co_purchases
     WHERE product_id = ANY(%(seeds)s::text[]) AND other_id NOT IN (SELECT product_id FROM excluded)
     GROUP BY other_id ORDER BY n DESC, other_id LIMIT %(size)s
), best AS (
    SELECT product_id, sum(units) AS n FROM daily_sales
     WHERE day >= %(sold_since)s AND product_id NOT IN (SELECT product_id FROM excluded)
     GROUP BY product_id ORDER BY n DESC, product_id LIMIT %(size)s
)
SELECT 'bought', product_id, 0 FROM bought
UNION ALL SELECT 'together', product_id, n FROM together
UNION ALL SELECT 'best', product_id, n FROM best
"""


class SalesRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def signals(self, seeds: tuple[str, ...], user_id: str, *, sold_since: date, bought_since: datetime,
                      size: int) -> Signals:
        """One statement, one round trip: the shopper's recent orders, what was bought with
        the seeds and the best sellers, the last two leaving out the seeds and those orders."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_SIGNALS, {"seeds": list(seeds), "user_id": user_id, "bought_since": bought_since,
                                                "sold_since": sold_since, "size": size})
            rows = await cur.fetchall()
        ranked = sorted(rows, key=lambda row: (-row[2], row[1]))
        return Signals({product_id: int(n) for kind, product_id, n in ranked if kind == "together"},
                       tuple((product_id, int(n)) for kind, product_id, n in ranked if kind == "best"),
                       frozenset(product_id for kind, product_id, _ in rows if kind == "bought"))

    async def record_sale(self, sale: Sale, handled_event: tuple[str, str]) -> bool:
        async with self._pool.connection() as conn, conn.transaction():
            if not await outbox.claim(conn, *handled_event):
                return False
            cur = await conn.execute(
                "INSERT INTO counted_orders (order_id) VALUES (%s) ON CONFLICT (order_id) DO NOTHING",
                (sale.order_id,))
            if cur.rowcount != 1:  # another event about the same order counted it
                return False
            products, units = zip(*sale.units) if sale.units else ((), ())
            # Rows in key order, so concurrent sales lock shared rows in one order (no deadlock).
            await conn.execute(
                """INSERT INTO daily_sales (day, product_id, units)
                   SELECT %s, product_id, units FROM unnest(%s::text[], %s::bigint[]) AS sold(product_id, units)
                   ORDER BY product_id
                   ON CONFLICT (day, product_id) DO UPDATE SET units = daily_sales.units + EXCLUDED.units""",
                (sale.day, list(products), list(units)))
            pairs = bought_together(sale)
            if pairs:
                firsts, seconds = zip(*pairs)
                await conn.execute(
                    """INSERT INTO co_purchases (product_id, other_id, orders)
                       SELECT product_id, other_id, 1 FROM unnest(%s::text[], %s::text[]) AS pair(product_id, other_id)
                       ORDER BY product_id, other_id
                       ON CONFLICT (product_id, other_id) DO UPDATE SET orders = co_purchases.orders + 1""",
                    (list(firsts), list(seconds)))
            return True

    async def record_purchase(self, purchase: Purchase, handled_event: tuple[str, str]) -> bool:
        async with self._pool.connection() as conn, conn.transaction():
            if not await outbox.claim(conn, *handled_event):
                return False
            await conn.execute(
                """INSERT INTO recent_purchases (user_id, product_id, bought_at)
                   SELECT %s, product_id, %s FROM unnest(%s::text[]) AS bought(product_id)
                   ORDER BY product_id
                   ON CONFLICT (user_id, product_id)
                   DO UPDATE SET bought_at = greatest(recent_purchases.bought_at, EXCLUDED.bought_at)""",
                (purchase.user_id, purchase.at, list(purchase.product_ids)))
            return True
