"""Redis plumbing: a client whose calls fail fast when Redis is away and that reconnects
by itself when it returns, its health check, and which errors mean "Redis is down"."""
from __future__ import annotations

import grpc
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

UNAVAILABLE_ERRORS: dict[type[BaseException], grpc.StatusCode] = {
    RedisConnectionError: grpc.StatusCode.UNAVAILABLE,
    RedisTimeoutError: grpc.StatusCode.UNAVAILABLE,
}


def connect(url: str, *, timeout: float = 1.0, max_connections: int = 50) -> aioredis.Redis:
    """A client with bounded waits. One immediate retry replaces a connection that died
    with a Redis restart; more would only delay the UNAVAILABLE a caller should get."""
    return aioredis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), retries=1),
        max_connections=max_connections,
        health_check_interval=0,
        decode_responses=True,
    )


def ping_check(client: aioredis.Redis):
    """A health check: Redis answers PING."""

    async def check() -> None:
        await client.ping()

    return check
