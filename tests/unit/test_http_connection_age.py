"""The HTTP facade closes a keep-alive connection once it is older than its age limit, so a
client that keeps one connection (KrakenD) reconnects, and a Kubernetes Service can send it
to another replica."""
import asyncio

import aiohttp
from aiohttp.test_utils import TestServer

from service_runtime import http_facade


class NoHealth:
    serving, results = True, {}


async def _connection_headers(max_age: float | None) -> list[str | None]:
    app = http_facade.build_app([], lambda: None, NoHealth(), timeout=1.0, max_connection_age=max_age)
    async with TestServer(app, host="127.0.0.1") as server:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
            seen = []
            for _ in range(3):
                async with session.get(server.make_url("/metrics")) as reply:
                    assert reply.status == 200
                    seen.append(reply.headers.get("Connection"))
                await asyncio.sleep(0.3)
            return seen


def test_a_connection_older_than_the_limit_is_closed_by_its_next_response():
    first, second, third = asyncio.run(_connection_headers(0.2))
    assert first is None  # HTTP/1.1 keep-alive: nothing said
    assert second == "close"
    assert third is None  # a new connection, young again


def test_without_a_limit_the_connection_is_kept():
    assert asyncio.run(_connection_headers(None)) == [None, None, None]
