"""The read model kept current. At start the whole catalog is loaded; then a connection of
its own LISTENs on catalog_changes (migration 0003: every change to products, their
categories or the categories is announced, whoever makes it) and the products named are
loaded again, so a change made through any replica, or by hand in psql, shows on every
replica within milliseconds. A replica's own writes refresh what they touched before the
call returns, so a caller always reads its own writes.

When the listening connection is lost it listens again at once and reloads everything,
which catches up on what it missed. If it cannot (the database is down), notifications
could be missed, so the model is behind: the next read reloads it first (and gets
UNAVAILABLE while the database is down, as it did when every read was a query)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable, Iterable

import psycopg
import psycopg_pool

from catalogservice.products import Product
from catalogservice.read_model import CatalogView
from catalogservice.repository import CatalogRepository

log = logging.getLogger("catalogservice.live_catalog")

CHANNEL = "catalog_changes"
EVERYTHING = "*"  # the payload that asks for a full reload
_DATABASE_DOWN = (psycopg.OperationalError, psycopg_pool.PoolTimeout)


class LiveCatalog:
    def __init__(self, database_url: str, repository: CatalogRepository, render: Callable[[Product], Any], *,
                 retry_delay: float = 0.5):
        self._url = database_url
        self._repo = repository
        self._render = render
        self._retry_delay = retry_delay
        self._view: CatalogView | None = None
        self._current = False
        self._lock = asyncio.Lock()       # loads apply in the order they were read
        self._pending: set[str] = set()   # ids announced, not yet loaded
        self._everything = False          # a full reload is asked for
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._catching_up: asyncio.Future | None = None

    async def view(self) -> CatalogView:
        """The model, current. When it has fallen behind, the first reader reloads it and
        the others wait for that one load: while the database is down they all get its
        error (UNAVAILABLE), as they would from a query."""
        if self._current and self._view is not None:
            return self._view
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.ensure_future(self._load_everything())
        await asyncio.shield(self._catching_up)
        return self._view

    async def start(self, timeout: float = 30.0) -> None:
        """Listen, and return once the first full load is in (TimeoutError otherwise)."""
        self._tasks = [asyncio.create_task(self._listen(), name="catalog-listen"),
                       asyncio.create_task(self._apply_announced(), name="catalog-refresh")]
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._current:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the catalog's read model did not load")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def refresh(self, ids: Iterable[str]) -> None:
        """After a write of this replica's: load what it touched before the caller hears
        back. If the database fails now, the model stops answering until a full reload."""
        try:
            await self._load(set(ids))
        except _DATABASE_DOWN as exc:
            self._fall_behind(exc)
            self._announce(EVERYTHING)

    # The listener and the loads ------------------------------------------------

    async def _listen(self) -> None:
        """Listen, load everything, take announcements; when the connection is lost, listen
        again at once (reads go on meanwhile: the reload after LISTEN catches up on what
        was missed). Only when listening again fails does the model fall behind."""
        while True:
            listening = False
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._url, autocommit=True, connect_timeout=3,
                        keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await self._load_everything()  # after LISTEN: nothing falls in between
                    listening = True
                    async for note in conn.notifies():
                        self._announce(note.payload)
            except Exception as exc:  # the database went away, or anything else: listen again
                if listening:
                    log.warning("catalog's listening connection lost; listening again", extra={"detail": str(exc)})
                else:
                    self._fall_behind(exc)
                    await asyncio.sleep(self._retry_delay)

    def _announce(self, payload: str) -> None:
        if payload == EVERYTHING:
            self._everything = True
        else:
            self._pending.add(payload)
        self._wake.set()

    async def _apply_announced(self) -> None:
        """Load what was announced; announcements that arrive meanwhile wait for the next
        round, so a burst of them costs a query or two."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            everything, ids = self._everything, self._pending
            self._everything, self._pending = False, set()
            try:
                if everything or not self._current:
                    await self._load_everything()
                elif ids:
                    await self._load(ids)
            except Exception as exc:  # try again, everything, until it works
                self._fall_behind(exc)
                await asyncio.sleep(self._retry_delay)
                self._announce(EVERYTHING)

    async def _load(self, ids: set[str]) -> None:
        async with self._lock:
            if self._view is None:
                return
            found = await self._repo.load_products(list(ids))
            if self._view.apply({product_id: found.get(product_id) for product_id in ids}):
                return
        await self._load_everything()  # a new or renamed product: its place comes from the database

    async def _load_everything(self) -> None:
        async with self._lock:
            categories, found = await self._repo.load_all()
            self._view = CatalogView(categories, found, self._render)
            if not self._current:
                log.info("catalog loaded", extra={"products": len(found), "categories": len(categories)})
            self._current = True

    def _fall_behind(self, exc: BaseException) -> None:
        if self._current:
            log.warning("catalog read model behind its database until it reloads", extra={"detail": str(exc)})
        self._current = False
