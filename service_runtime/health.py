"""Health that follows real dependency checks: a loop runs each check and sets the
standard gRPC health status of the server and each of its services."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Mapping

from grpc_health.v1 import health, health_pb2

log = logging.getLogger("service_runtime.health")

# A check returns normally when its dependency works and raises when it does not.
Check = Callable[[], Awaitable[None]]

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthMonitor:
    def __init__(self, service_names: list[str], checks: Mapping[str, Check], *, interval: float, timeout: float):
        self.servicer = health.aio.HealthServicer()
        self._names = ["", *service_names]
        self._checks = dict(checks)
        self._interval = interval
        self._timeout = timeout
        self._task: asyncio.Task | None = None
        # Name of each check -> "ok" or "failing"; what /healthz reports.
        self.results: dict[str, str] = {name: "unknown" for name in self._checks}
        self.serving = False
        self._shutting_down = False

    async def check_once(self) -> bool:
        async def run(name: str, check: Check) -> tuple[str, bool]:
            try:
                await asyncio.wait_for(check(), self._timeout)
                return name, True
            except Exception as exc:  # a failing dependency, whatever its error type
                log.debug("check %s failed: %r", name, exc)
                return name, False

        outcomes = await asyncio.gather(*(run(n, c) for n, c in self._checks.items()))
        for name, ok in outcomes:
            was = self.results.get(name)
            self.results[name] = "ok" if ok else "failing"
            if was != self.results[name]:
                log.log(logging.INFO if ok else logging.WARNING, "dependency %s is %s", name, self.results[name])
        serving = all(ok for _, ok in outcomes)
        if not self._shutting_down:
            await self._publish(serving)
        return serving

    async def _publish(self, serving: bool) -> None:
        self.serving = serving
        for name in self._names:
            await self.servicer.set(name, SERVING if serving else NOT_SERVING)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.check_once()

    async def start(self) -> None:
        await self.check_once()
        self._task = asyncio.create_task(self._loop(), name="health-checks")

    async def shutting_down(self) -> None:
        """Report NOT_SERVING from now on, so balancers stop sending new calls."""
        self._shutting_down = True
        self.serving = False
        if self._task:
            self._task.cancel()
        await self.servicer.enter_graceful_shutdown()
