"""service_runtime.db.RecentUse: the pool pings a connection before lending it unless it was
given back within the window. The connections and the ping are stand-ins here;
tests/integration/test_catalog_lifecycle.py stops and starts a real PostgreSQL under a
service whose pool uses it."""
from __future__ import annotations

import asyncio

import pytest

from service_runtime.db import RECENTLY_USED_SECONDS, RecentUse
from tests.support.clock import ManualClock


class Connection:
    pass


def test_a_connection_given_back_a_moment_ago_is_lent_without_a_ping():
    pinged, clock = [], ManualClock(100.0)

    async def ping(conn):
        pinged.append(conn)

    recent = RecentUse(clock=clock, ping=ping)
    fresh, used = Connection(), Connection()
    asyncio.run(recent.check(fresh))
    assert pinged == [fresh], "never given back: pinged"
    asyncio.run(recent.reset(used))
    clock.now += RECENTLY_USED_SECONDS / 2
    asyncio.run(recent.check(used))
    assert pinged == [fresh], "given back within the window: not pinged"
    clock.now += RECENTLY_USED_SECONDS / 2
    asyncio.run(recent.check(used))
    assert pinged == [fresh, used], "idle for the whole window: pinged"


def test_a_failed_ping_reaches_the_pool():
    async def broken(conn):
        raise ConnectionError("server closed the connection")

    recent = RecentUse(clock=ManualClock(), ping=broken)
    with pytest.raises(ConnectionError):  # the pool hears of it, and replaces the connection
        asyncio.run(recent.check(Connection()))
