"""The server lifecycle every service shares: a grpc.aio server with the interceptor,
standard health and reflection; the HTTP facade beside it; and an orderly stop on
SIGTERM/SIGINT (report NOT_SERVING, stop taking work, finish in-flight calls)."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Mapping, Protocol

import grpc
import uvloop
from aiohttp import web
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from service_runtime import audit, clients, fault_flags, http_facade, tracing
from service_runtime.config import ConfigError, RuntimeConfig
from service_runtime.health import Check, HealthMonitor
from service_runtime.interceptors import ErrorTable, ServerInterceptor
from service_runtime.reflection_pool import MethodAwarePool
from service_runtime.startup import StartupError
from shop.audit.v1 import audit_pb2, audit_pb2_grpc

log = logging.getLogger("service_runtime.host")

# Clients keep one connection and send every call down it: gRPC's one HTTP/2 connection,
# KrakenD's pooled keep-alive ones. Behind a Kubernetes Service (one virtual address,
# balanced per connection) that pins a client to one replica, so a replica added by scaling
# up would get no calls from clients already connected. So connections have an age limit:
# gRPC's are closed gracefully (GOAWAY), their calls in flight given MAX_CONNECTION_AGE_GRACE
# to finish; the HTTP facade's next response on an old connection says Connection: close.
# Either way the client reconnects at once, to any replica.
MAX_CONNECTION_AGE = 30.0
MAX_CONNECTION_AGE_GRACE = 15.0
SERVER_OPTIONS = [("grpc.so_reuseport", 0), ("grpc.max_connection_age_ms", int(MAX_CONNECTION_AGE * 1000)),
                  ("grpc.max_connection_age_grace_ms", int(MAX_CONNECTION_AGE_GRACE * 1000))]


class Worker(Protocol):
    """Background work beside the servers: an event consumer, the outbox relay."""

    async def start(self) -> None: ...

    async def stop(self, grace: float) -> None: ...


@dataclass(frozen=True)
class GrpcService:
    """A servicer and how to put it on a server (the generated add_*_to_server)."""

    descriptor: ServiceDescriptor
    servicer: object
    register: Callable[[object, grpc.aio.Server], None]


class ServiceHost:
    def __init__(
        self,
        config: RuntimeConfig,
        services: list[GrpcService],
        *,
        checks: Mapping[str, Check],
        error_table: ErrorTable,
        static_dirs: Mapping[str, Path] | None = None,
        static_fallbacks: Mapping[str, http_facade.FileLoader] | None = None,
        workers: list[Worker] = (),
        audit_log: audit.AuditLog | None = None,
    ):
        self._config = config
        self._workers = list(workers)
        # A service that carries out admin actions records them and serves its part of the
        # log (docs/decisions/0013).
        self._audit_log = audit_log
        self._services = services + ([] if audit_log is None else [GrpcService(
            audit_pb2.DESCRIPTOR.services_by_name["AuditLogService"], audit.AuditLogServicer(audit_log),
            audit_pb2_grpc.add_AuditLogServiceServicer_to_server)])
        self._error_table = error_table
        self._static_dirs = static_dirs
        self._static_fallbacks = static_fallbacks
        self.health = HealthMonitor(
            [s.descriptor.full_name for s in self._services], checks,
            interval=config.health_interval, timeout=max(1.0, config.health_interval),
        )
        self.grpc_port = 0
        self.http_port = 0
        self._server: grpc.aio.Server | None = None
        self._loopback: grpc.aio.Channel | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        cfg = self._config
        # SO_REUSEPORT off: a second copy on the same port fails loudly instead of
        # silently sharing it.
        server = grpc.aio.server(interceptors=[ServerInterceptor(self._error_table, cfg.call_log,
                                                                     self._audit_log)],
                                 options=SERVER_OPTIONS)
        for service in self._services:
            service.register(service.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, server)
        reflection.enable_server_reflection(
            [s.descriptor.full_name for s in self._services] + [health.SERVICE_NAME, reflection.SERVICE_NAME],
            server,
            pool=MethodAwarePool(),
        )
        self.grpc_port = server.add_insecure_port(f"{cfg.bind_host}:{cfg.grpc_port}")
        await server.start()
        self._server = server

        # The facade's way to this server: its calls get their span like any other call's.
        self._loopback = clients.connect(f"127.0.0.1:{self.grpc_port}", timeout=cfg.call_timeout)
        app = http_facade.build_app(
            [s.descriptor for s in self._services], lambda: self._loopback, self.health,
            timeout=cfg.call_timeout, static_dirs=self._static_dirs, static_fallbacks=self._static_fallbacks,
            max_connection_age=MAX_CONNECTION_AGE,
            trusted_proxy_hops=cfg.trusted_proxy_hops,
        )
        # handler_cancellation: a caller that gives up (KrakenD's endpoint timeout closes the
        # connection) cancels the handler, and with it the gRPC call and every hop below.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=cfg.shutdown_grace,
                                     handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.bind_host, cfg.http_port)
        await site.start()
        self.http_port = self._runner.addresses[0][1]
        # Only now may health say SERVING: a caller that waits for it finds both faces up.
        await self.health.start()
        for worker in self._workers:
            await worker.start()
        log.info(
            "serving",
            extra={"grpc_port": self.grpc_port, "http_port": self.http_port,
                   "services": [s.descriptor.full_name for s in self._services]},
        )

    async def stop(self) -> None:
        """Stop taking work and let in-flight calls finish (up to the grace period)."""
        await self.health.shutting_down()
        for worker in self._workers:  # consumers stop taking messages; in-flight ones finish
            await worker.stop(self._config.shutdown_grace)
        if self._runner:  # HTTP first: its in-flight requests still need the gRPC server
            await self._runner.cleanup()
        if self._server:
            await self._server.stop(self._config.shutdown_grace)
        if self._loopback:
            await self._loopback.close()
        log.info("stopped")


async def serve_until_signalled(host: ServiceHost) -> None:
    """Start the host, then stop it in order on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await host.start()
        await stop.wait()
        log.info("shutting down")
    finally:
        await host.stop()


def run(main: Callable[[], Awaitable[None]], service: str | None = None) -> None:
    """Run a service's async main; a configuration error, or a start-up error such as a
    database that is not UTF8, exits with 2 and its message on one line, not a trace.
    Tracing is configured first (before main opens pools and channels, which the
    instrumentations must see), named after the service's package unless told."""
    name = service or _package_of(main)
    try:
        tracing.configure_tracing(name)
        fault_flags.configure(name)
        uvloop.run(main())
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except StartupError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(2)


def _package_of(main: Callable) -> str:
    """`checkoutservice` for the main of `python -m checkoutservice`."""
    module = sys.modules.get(main.__module__)
    spec = getattr(module, "__spec__", None)
    return (spec.name if spec else main.__module__).partition(".")[0]
