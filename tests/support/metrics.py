"""Reading a process's Prometheus /metrics in tests: parsed with prometheus_client's own
parser, so a page that is not valid exposition text fails the test that reads it."""
from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.support.services import wait_until


def samples(base_url: str, timeout: float = 5) -> list[Sample]:
    """Every sample of `base_url`/metrics (base_url is a process's HTTP or metrics port)."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=timeout) as reply:
        text = reply.read().decode()
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(base_url: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`; 0 before the
    first is counted."""
    return sum(s.value for s in samples(base_url)
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def wait_for(base_url: str, name: str, at_least: float, timeout: float = 30.0, **labels: str) -> float:
    """Wait until value(...) reaches at_least; returns it."""
    wait_until(lambda: value(base_url, name, **labels) >= at_least, timeout, f"{name}{labels} >= {at_least}")
    return value(base_url, name, **labels)
