"""The HTTP face of a service: every google.api.http-annotated RPC as HTTP/JSON, plus
/healthz and /metrics. Calls go through the service's own gRPC port, so the same
interceptors (logging, error mapping, metrics) apply to both faces.

When tracing is on, each transcoded request is a SERVER span ("HTTP GET /v1/products/{id}")
continuing the caller's trace (a W3C traceparent, or the B3 headers KrakenD sends), so the
gRPC call it makes (client and server spans, and what they do) sits under it; /healthz and
/metrics are not traced."""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
import weakref
from pathlib import Path
from typing import Awaitable, Callable, Mapping

import grpc
from aiohttp import web
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from opentelemetry import propagate, trace
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from service_runtime import (audit, client_address, deadlines, metrics, status_details, tracecontext, tracing,
                             transcoding)
from service_runtime.health import HealthMonitor
from service_runtime.interceptors import REQUEST_ID_KEY

log = logging.getLogger("service_runtime.http")

_JSON = "application/json"
# Finds a static file the directory lacks: (content type, bytes), or None.
FileLoader = Callable[[str], Awaitable[tuple[str, bytes] | None]]
# Set by the gateway's admin endpoints from the validated token's subject ("propagate-claims").
ACTOR_HEADER = "X-Shop-Actor"


def _json_response(status: int, payload: dict, request_id: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(payload),
        content_type=_JSON,
        headers={"X-Request-Id": request_id},
    )


def _metadata(request: web.Request, rid: str, trusted_hops: int) -> tuple[tuple[str, str], ...]:
    """The request id; the client the call is made for: the address our own proxy (the
    gateway) wrote into X-Forwarded-For, else this connection's peer; and, for the audit
    log, that it came through the API and the admin the gateway named in ACTOR_HEADER (from
    the validated token: docs/decisions/0013)."""
    forwarded = client_address.forwarded_client(request.headers.get("X-Forwarded-For", ""), trusted_hops)
    client = forwarded or request.remote or ""
    return ((REQUEST_ID_KEY, rid), *audit.metadata_for(request.headers.get(ACTOR_HEADER, ""), "api", client))


def _handler_for(route: transcoding.Route, channel_getter: Callable[[], grpc.aio.Channel], timeout: float,
                 trusted_hops: int):
    request_class = message_factory.GetMessageClass(route.method.input_type)
    response_class = message_factory.GetMessageClass(route.method.output_type)
    route_label = f"{route.http_method} {route.template}"
    span_name = f"HTTP {route_label}"
    call_budget = deadlines.budget(route.rpc_path, timeout)

    async def handle(request: web.Request) -> web.Response:
        if not tracing.enabled():
            return await _handle(request)
        with tracing.tracer(__name__).start_as_current_span(
            span_name,
            context=propagate.extract(request.headers),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": route.http_method, "http.route": route.template,
                        "url.path": request.path, "url.scheme": request.scheme},
        ) as span:
            response = await _handle(request)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(trace.StatusCode.ERROR)
            return response

    async def _handle(request: web.Request) -> web.Response:
        started = time.perf_counter()
        rid = tracecontext.request_id_for(request.headers.get("X-Request-Id"))
        try:
            status, payload = await _transcode(request, rid)
        except asyncio.CancelledError:  # the client went away: counted as nginx does, 499
            metrics.HTTP_HANDLED.labels(route.http_method, route.template, "499").inc()
            raise
        metrics.HTTP_HANDLED.labels(route.http_method, route.template, str(status)).inc()
        metrics.HTTP_SECONDS.labels(route.http_method, route.template).observe(time.perf_counter() - started)
        return _json_response(status, payload, rid)

    async def _transcode(request: web.Request, rid: str) -> tuple[int, dict]:
        body = None
        if request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    return transcoding.error_json(grpc.StatusCode.INVALID_ARGUMENT, "the request body is not valid JSON")
        try:
            message = transcoding.build_request(
                route, request.match_info, request.query.items(), body, request_class
            )
        except transcoding.BadHttpRequest as exc:
            return transcoding.error_json(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        call = channel_getter().unary_unary(
            route.rpc_path,
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        try:
            response = await call(message, timeout=call_budget, metadata=_metadata(request, rid, trusted_hops))
        except grpc.aio.AioRpcError as exc:
            status, payload = transcoding.error_json(exc.code(), exc.details() or exc.code().name)
            details = status_details.details_json(exc)
            if details:
                payload["error"]["details"] = details
            return status, payload
        return 200, transcoding.response_json(response)

    handle.__name__ = f"http_{route.method.name}"
    return handle, route_label


def build_app(
    services: list[ServiceDescriptor],
    channel_getter: Callable[[], grpc.aio.Channel],
    health: HealthMonitor,
    *,
    timeout: float,
    static_dirs: Mapping[str, Path] | None = None,
    static_fallbacks: Mapping[str, FileLoader] | None = None,
    max_connection_age: float | None = None,
    trusted_proxy_hops: int = 1,
) -> web.Application:
    """max_connection_age: seconds after which a keep-alive connection's next response
    closes it (Connection: close), so a client that keeps one connection, as KrakenD does,
    reconnects and lands on any replica behind a Kubernetes Service. static_fallbacks: per
    static prefix, where a name the directory lacks may be found (the catalog's uploaded
    images, in its database): (content type, bytes), or None for a 404."""
    app = web.Application()
    for service in services:
        for route in transcoding.routes_for(service):
            handler, _ = _handler_for(route, channel_getter, timeout, trusted_proxy_hops)
            app.router.add_route(route.http_method, route.pattern, handler)

    async def healthz(_request: web.Request) -> web.Response:
        status = 200 if health.serving else 503
        body = {"status": "SERVING" if health.serving else "NOT_SERVING", "checks": health.results}
        return web.json_response(body, status=status)

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    for prefix, directory in (static_dirs or {}).items():
        app.router.add_get(prefix.rstrip("/") + "/{name:.+}",
                           _files_from(Path(directory), (static_fallbacks or {}).get(prefix)))
    app.middlewares.append(_errors_as_json)
    static_prefixes = tuple(prefix.rstrip("/") + "/" for prefix in (static_dirs or {}))

    async def cache_static(request: web.Request, response: web.StreamResponse) -> None:
        if static_prefixes and request.path.startswith(static_prefixes) and response.status == 200:
            response.headers.setdefault("Cache-Control", "public, max-age=86400")

    app.on_response_prepare.append(cache_static)
    if max_connection_age:
        born: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

        async def close_old_connections(request: web.Request, response: web.StreamResponse) -> None:
            if request.transport is not None:
                first = born.setdefault(request.transport, time.monotonic())
                if time.monotonic() - first > max_connection_age:
                    response.force_close()  # closed after this response (headers are made by now)
                    response.headers["Connection"] = "close"

        app.on_response_prepare.append(close_old_connections)
    return app


def _files_from(directory: Path, fallback: FileLoader | None = None):
    """Serves the directory's files by name (no listing, nothing outside it), then what the
    fallback finds (named by content, so cached for a year); anything else is a 404 with
    the JSON error body, as every other error."""
    root = directory.resolve()

    async def file(request: web.Request) -> web.StreamResponse:
        try:
            path = (root / request.match_info["name"]).resolve()
            found = path.is_relative_to(root) and path.is_file()
        except (OSError, ValueError):  # a name too long for the file system, or holding a NUL
            found = False
        if not found:
            loaded = await fallback(request.match_info["name"]) if fallback is not None else None
            if loaded is None:
                raise web.HTTPNotFound()
            content_type, data = loaded
            return web.Response(body=data, content_type=content_type, headers={
                "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})
        return web.FileResponse(path)

    return file


@web.middleware
async def _errors_as_json(request: web.Request, handler):
    """Unknown paths and wrong methods answer JSON like every other error; nothing else
    (no trace, no HTML) ever leaves."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        status = exc.status
        code = {404: grpc.StatusCode.NOT_FOUND, 405: grpc.StatusCode.UNIMPLEMENTED}.get(
            status, grpc.StatusCode.INVALID_ARGUMENT
        )
        message = {404: "no such resource", 405: f"method {request.method} is not allowed here"}.get(
            status, exc.reason
        )
        payload = {"error": {"code": status, "status": code.name, "message": message}}
        return web.json_response(payload, status=status)
    except Exception:
        rid = uuid.uuid4().hex
        log.exception("unexpected error answering %s %s (request id %s)", request.method, request.path, rid)
        return _json_response(*transcoding.error_json(grpc.StatusCode.INTERNAL, f"internal error (request id {rid})"), rid)
