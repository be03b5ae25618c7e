"""The shipment repository in-process against a real PostgreSQL: a tracking id that
collides with one in use is retried with a new one, and the unique constraint is what
catches it."""
import asyncio
import random
import uuid
from pathlib import Path

import pytest

from service_runtime import db, schema
from shippingservice.addresses import Address
from shippingservice.errors import TrackingIdTaken
from shippingservice.items import ShipmentItem
from shippingservice.repository import ShipmentRepository
from shippingservice.shipments import Shipper

MIGRATIONS = Path(__file__).resolve().parents[2] / "shippingservice" / "migrations"
TO = Address("Erika Mustermann", ("Heidestraße 17",), "Köln", "", "51147", "DE")
ITEMS = (ShipmentItem("stoneware-mug", 1),)


@pytest.fixture(scope="module")
def database_url(postgres):
    name = f"shipping_repo_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    url = postgres.url(name)
    schema.apply_migrations(url, MIGRATIONS)
    return url


def with_repository(database_url, use):
    async def run():
        pool = await db.open_pool(database_url, max_size=2)
        try:
            await pool.wait()
            return await use(ShipmentRepository(pool))
        finally:
            await pool.close()

    return asyncio.run(run())


def test_a_colliding_tracking_id_is_refused_by_the_database(database_url):
    async def use(repository):
        same_seed = Shipper(repository, day_seconds=60, rng=random.Random(11))
        first, _ = await repository.ship(same_seed.plan(uuid.uuid4().hex, TO, ITEMS))
        again = Shipper(repository, day_seconds=60, rng=random.Random(11)).plan(uuid.uuid4().hex, TO, ITEMS)
        assert again.tracking_id == first.tracking_id
        with pytest.raises(TrackingIdTaken):
            await repository.ship(again)

    with_repository(database_url, use)


def test_ship_order_retries_a_colliding_tracking_id_with_a_new_one(database_url):
    async def use(repository):
        first, _ = await Shipper(repository, day_seconds=60, rng=random.Random(12)).ship_order(uuid.uuid4().hex, TO, ITEMS)
        order_id = uuid.uuid4().hex
        second, newly = await Shipper(repository, day_seconds=60, rng=random.Random(12)).ship_order(order_id, TO, ITEMS)
        assert newly and second.tracking_id != first.tracking_id
        assert await repository.find(second.tracking_id) == second  # stored as returned

    with_repository(database_url, use)
