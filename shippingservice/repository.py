"""All shipping storage: order outcomes, shipments and their items in PostgreSQL.
Every query is parameterized; each write is one transaction."""
from __future__ import annotations

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from service_runtime import outbox

from shippingservice.addresses import Address
from shippingservice.errors import AlreadyShipped, OrderCancelled, ShipmentNotFound, TrackingIdTaken
from shippingservice.items import ShipmentItem
from shippingservice.shipments import Shipment

TRACKING_ID_CONSTRAINT = "shipments_tracking_id_key"

_SHIPMENT_COLUMNS = """
    s.order_id, s.tracking_id, s.carrier, s.zone, s.recipient_name, s.address_lines, s.city,
    s.region, s.postal_code, s.country_code, s.ship_time, s.estimated_delivery_time,
    (SELECT json_agg(json_build_object('product_id', i.product_id, 'quantity', i.quantity)
                     ORDER BY i.line_number)
       FROM shipment_items i WHERE i.order_id = s.order_id) AS items
"""


def _shipment(row: dict) -> Shipment:
    return Shipment(
        tracking_id=row["tracking_id"], order_id=row["order_id"], carrier=row["carrier"], zone=row["zone"],
        address=Address(
            name=row["recipient_name"], address_lines=tuple(row["address_lines"]), city=row["city"],
            region=row["region"], postal_code=row["postal_code"], country_code=row["country_code"],
        ),
        items=tuple(ShipmentItem(item["product_id"], item["quantity"]) for item in row["items"] or ()),
        ship_time=row["ship_time"], estimated_delivery_time=row["estimated_delivery_time"],
    )


class ShipmentRepository:
    """`announce_shipped(shipment)` and `announce_cancelled(order_id, reason)` give the
    (exchange, event) pairs written to the outbox with a new shipment or cancellation, in
    its transaction. `handled_event` (event id, type) makes a change caused by an event
    happen at most once per event."""

    def __init__(self, pool: AsyncConnectionPool, *, announce_shipped=lambda shipment: (),
                 announce_cancelled=lambda order_id, reason: ()):
        self._pool = pool
        self._announce_shipped = announce_shipped
        self._announce_cancelled = announce_cancelled

    async def ship(self, shipment: Shipment, handled_event: tuple[str, str] | None = None) -> tuple[Shipment, bool]:
        """Record the shipment, or return the order's existing one (False)."""
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if handled_event:
                    await outbox.claim(conn, *handled_event)  # idempotent anyway: one outcome per order
                cur = conn.cursor(row_factory=dict_row)
                # The order's outcome row is the idempotency key: a concurrent retry waits
                # here until the first call commits, then finds its shipment.
                await cur.execute(
                    """INSERT INTO order_outcomes (order_id, outcome) VALUES (%s, 'shipped')
                       ON CONFLICT (order_id) DO NOTHING RETURNING order_id""",
                    (shipment.order_id,),
                )
                if await cur.fetchone() is None:
                    return await self._existing_shipment(cur, shipment.order_id), False
                await self._insert(cur, shipment)
                for exchange, event in self._announce_shipped(shipment):
                    await outbox.enqueue(conn, exchange, event)
                return shipment, True
        except pg_errors.UniqueViolation as exc:
            if exc.diag.constraint_name == TRACKING_ID_CONSTRAINT:
                raise TrackingIdTaken(shipment.tracking_id) from None
            raise

    @staticmethod
    async def _existing_shipment(cur, order_id: str) -> Shipment:
        await cur.execute(
            f"""SELECT o.outcome, {_SHIPMENT_COLUMNS}
                FROM order_outcomes o LEFT JOIN shipments s ON s.order_id = o.order_id
                WHERE o.order_id = %s""",
            (order_id,),
        )
        row = await cur.fetchone()
        if row["outcome"] == "cancelled":
            raise OrderCancelled(order_id)
        return _shipment(row)

    @staticmethod
    async def _insert(cur, shipment: Shipment) -> None:
        address = shipment.address
        await cur.execute(
            """INSERT INTO shipments (order_id, tracking_id, carrier, zone, recipient_name, address_lines,
                                      city, region, postal_code, country_code, ship_time, estimated_delivery_time)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (shipment.order_id, shipment.tracking_id, shipment.carrier, shipment.zone, address.name,
             list(address.address_lines), address.city, address.region, address.postal_code,
             address.country_code, shipment.ship_time, shipment.estimated_delivery_time),
        )
        await cur.executemany(
            "INSERT INTO shipment_items (order_id, line_number, product_id, quantity) VALUES (%s, %s, %s, %s)",
            [(shipment.order_id, number, item.product_id, item.quantity)
             for number, item in enumerate(shipment.items)],
        )

    async def cancel(self, order_id: str, reason: str, handled_event: tuple[str, str] | None = None) -> bool:
        """Record that the order must not ship; False if that was already recorded."""
        async with self._pool.connection() as conn, conn.transaction():
            if handled_event:
                await outbox.claim(conn, *handled_event)
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                """INSERT INTO order_outcomes (order_id, outcome, cancel_reason) VALUES (%s, 'cancelled', %s)
                   ON CONFLICT (order_id) DO NOTHING RETURNING order_id""",
                (order_id, reason),
            )
            if await cur.fetchone() is not None:
                for exchange, event in self._announce_cancelled(order_id, reason):
                    await outbox.enqueue(conn, exchange, event)
                return True
            await cur.execute(
                """SELECT o.outcome, s.tracking_id
                   FROM order_outcomes o LEFT JOIN shipments s ON s.order_id = o.order_id
                   WHERE o.order_id = %s""",
                (order_id,),
            )
            row = await cur.fetchone()
            if row["outcome"] == "shipped":
                raise AlreadyShipped(order_id, row["tracking_id"])
            return False

    async def find(self, tracking_id: str) -> Shipment:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {_SHIPMENT_COLUMNS} FROM shipments s WHERE s.tracking_id = %s", (tracking_id,))
            row = await cur.fetchone()
        if row is None:
            raise ShipmentNotFound(tracking_id)
        return _shipment(row)
