"""How the shoppers' client treats a kept-alive connection the server closed while it was
idle. Browsers send such a GET again on a new connection without showing anything; the
load test's shoppers do the same, once, so a race between the server's keep-alive timeout
and a shopper's next request is not counted as the shop failing (it is not a failure a
person would see). Only GET and HEAD: a form post whose connection closed is a failure, as
it is for a person whose browser says so. Pure configuration, no locust import."""
from __future__ import annotations

from urllib3.util.retry import Retry

RETRIED_METHODS = frozenset({"GET", "HEAD"})


def stale_connection_retry() -> Retry:
    """One more try of an idempotent request whose connection broke before its answer
    (urllib3 counts that as a read error); nothing else is retried: no status, no
    redirect loop, no connect failure (a shop that is down stays a failure)."""
    return Retry(total=1, connect=0, read=1, redirect=None, status=0, other=0,
                 allowed_methods=RETRIED_METHODS, raise_on_status=False, respect_retry_after_header=False)
