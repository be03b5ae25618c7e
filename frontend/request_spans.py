"""The span of each request the website serves, opened and closed by hooks of its own
instead of OpenTelemetry's Flask instrumentation, which cost about 130 µs a request
whether the span was sampled or not (three times a bare Flask request: it wrapped the WSGI
app, collected the request's attributes twice and recorded metrics nothing reads;
docs/performance.md). Here the caller's context is read only when the headers carry one,
and attributes are set only on a recorded span.

The span is what it was: named after the route ("GET /products/<product_id>"; "HTTP" when
no route matched), SERVER kind, a child of the caller's W3C or B3 context when there is
one, current while the views and the other hooks run (so log lines and gRPC calls belong
to it); HTTP attributes as the services' HTTP facade names them; status ERROR for an
answer of 500 or more, or an exception. Health checks and static files are not traced."""
from __future__ import annotations

from flask import Flask, Response, g, request
from opentelemetry import context as otel_context
from opentelemetry import trace

from service_runtime import tracing
from service_runtime.rpc_spans import parent_context

UNTRACED_PREFIXES = ("/_healthz", "/static/")


def init_app(app: Flask) -> None:
    """Trace the app's requests when tracing is on; register before every other hook, so
    the span is open before they run and closed after."""
    if not tracing.enabled():
        return
    tracer = trace.get_tracer(__name__)

    @app.before_request
    def open_span() -> None:
        if request.path.startswith(UNTRACED_PREFIXES):
            return
        parent = parent_context(list(request.headers.items(lower=True)))
        rule = request.url_rule
        span = tracer.start_span(f"{request.method} {rule.rule}" if rule else "HTTP", parent,
                                 kind=trace.SpanKind.SERVER)
        if span.is_recording():
            span.set_attributes({"http.request.method": request.method, "url.path": request.path,
                                 "url.scheme": request.scheme, **({"http.route": rule.rule} if rule else {})})
        g.request_span = span
        g.request_span_token = otel_context.attach(trace.set_span_in_context(span, parent))

    @app.after_request
    def record_status(response: Response) -> Response:  # runs last of the after-request hooks
        span = g.get("request_span")
        if span is not None and span.is_recording():
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(trace.StatusCode.ERROR)
        return response

    @app.teardown_request
    def close_span(error: BaseException | None) -> None:
        span = g.pop("request_span", None)
        if span is None:
            return
        if error is not None and span.is_recording():
            span.record_exception(error)
            span.set_status(trace.StatusCode.ERROR)
        span.end()
        otel_context.detach(g.pop("request_span_token"))
