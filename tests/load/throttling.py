"""429 answers in a load run: how long the shop asked a shopper to wait, and the tally of
every 429 by endpoint, which the run reports beside locust's own numbers. Pure.

A 429 stays a failed request in locust's statistics: the load test's limits are set so
that none should happen (devstack/limits.py, signins.py), and one that does means the
shop refused a shopper. The shopper then waits as asked before its next request."""
from __future__ import annotations

import csv
import json
import math
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Mapping

TOO_MANY_REQUESTS = 429
# KrakenD's own limiter answers 429 without a Retry-After (a JSON error body, with this
# repository's build); its bucket refills within a second.
DEFAULT_WAIT_SECONDS = 1.0
CSV_SUFFIX = "_429.csv"
CSV_HEADER = ("Type", "Name", "429 Count")


def _seconds_in_header(value: str, now: float) -> float | None:
    """Retry-After as delta-seconds ("7") or an HTTP date (RFC 9110)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def _error_of(body: str) -> dict | None:
    """The service's `{"error": ...}`, also when the gateway's signer wrapped it as a string
    under `error_<backend>.http_body` (login and refresh: docs/decisions/0005)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    if isinstance(parsed.get("error"), dict):
        return parsed["error"]
    for key, value in parsed.items():
        if key.startswith("error_") and isinstance(value, dict) and isinstance(value.get("http_body"), str):
            return _error_of(value["http_body"])
    return None


def _seconds_in_body(body: str) -> float | None:
    """The retry_after_seconds an error's google.rpc.ErrorInfo carries (identityservice's
    sign-in limits)."""
    error = _error_of(body)
    for detail in (error or {}).get("details") or ():
        seconds = (detail.get("metadata") or {}).get("retry_after_seconds") if isinstance(detail, dict) else None
        if isinstance(seconds, str) and seconds.isdigit():
            return float(seconds)
    return None


def retry_after_seconds(headers: Mapping[str, str], body: str, now: float, default: float = DEFAULT_WAIT_SECONDS) -> float:
    """How long a 429 asks the client to wait: its Retry-After header (the website's), else
    the retry_after_seconds in its error body (the API's sign-in limit), else `default`.
    `now` is the wall clock (time.time()), for a Retry-After given as a date."""
    value = headers.get("Retry-After")
    seconds = _seconds_in_header(value, now) if value else None
    if seconds is None:
        seconds = _seconds_in_body(body or "")
    return default if seconds is None or math.isnan(seconds) else seconds


class Tally:
    """429 answers counted by request (locust's type and name)."""

    def __init__(self, counts: Mapping[tuple[str, str], int] | None = None):
        self.counts: Counter[tuple[str, str]] = Counter(counts or {})

    def count(self, method: str, name: str) -> None:
        self.counts[(method, name)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        """"429 answers: 3 (POST /api/v1/login 2, POST /login 1)", most first."""
        if not self.total:
            return "429 answers: 0"
        by_endpoint = ", ".join(f"{method} {name} {n}" for (method, name), n in
                                sorted(self.counts.items(), key=lambda item: (-item[1], item[0])))
        return f"429 answers: {self.total} ({by_endpoint})"

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CSV_HEADER)
            for (method, name), n in sorted(self.counts.items()):
                writer.writerow((method, name, n))

    @classmethod
    def read_csv(cls, path: Path) -> "Tally":
        with open(path, newline="") as file:
            return cls({(row[CSV_HEADER[0]], row[CSV_HEADER[1]]): int(row[CSV_HEADER[2]])
                        for row in csv.DictReader(file)})


def csv_path(csv_prefix: str | Path) -> Path:
    """Where a run with locust's --csv prefix keeps its 429 tally, beside locust's own CSVs."""
    return Path(f"{csv_prefix}{CSV_SUFFIX}")
