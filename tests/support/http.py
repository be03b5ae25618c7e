"""A tiny JSON-over-HTTP client for tests (urllib, no extra dependency)."""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(method: str, url: str, body=None, *, raw: bytes | None = None, headers: dict | None = None,
            timeout: float = 10) -> Reply:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            return Reply(reply.status, dict(reply.headers), reply.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, dict(err.headers), err.read())


def request_from(source: str, method: str, url: str, body=None, *, headers: dict | None = None,
                 timeout: float = 10) -> Reply:
    """As `request`, from another loopback address (any of 127.0.0.0/8 is this machine), so
    a server that tells clients apart by address sees a client of its own."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                     body=json.dumps(body).encode() if body is not None else None,
                     headers={"Content-Type": "application/json", **(headers or {})})
        reply = conn.getresponse()
        return Reply(reply.status, dict(reply.headers), reply.read())
    finally:
        conn.close()
