"""Helpers for running several instances of a service side by side in tests: a RabbitMQ
vhost of their own on a shared node, the node's queue depths, each instance's counters
read from its /metrics, and SIGKILL that leaves no child behind."""
from __future__ import annotations

import contextlib
import signal
import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

import psutil

from devstack import rabbitmq as devstack_rabbitmq
from tests.support import metrics


@dataclass(frozen=True)
class Backing:
    """Databases and a RabbitMQ vhost that only one test's own services use."""
    suffix: str
    databases: dict[str, str]  # short name -> URL
    amqp_url: str
    vhost: str


@contextlib.contextmanager
def own_backing(postgres, rabbitmq: devstack_rabbitmq.Node, prefix: str, databases=()) -> Iterator[Backing]:
    """Fresh databases (named <prefix>_<short>_<suffix>) on the session's cluster and a vhost
    of their own on the session's broker, so a test's services meet no other test's."""
    suffix = uuid.uuid4().hex[:8]
    names = {short: f"{prefix}_{short}_{suffix}" for short in databases}
    if names:
        postgres.create_databases(list(names.values()))
    vhost = f"{prefix}-{suffix}"
    with rabbitmq.vhost(vhost) as amqp_url:
        yield Backing(suffix, {short: postgres.url(name) for short, name in names.items()}, amqp_url, vhost)


def queue_depths(node: devstack_rabbitmq.Node, vhost: str) -> dict[str, tuple[int, int]]:
    """Queue name -> (messages ready, messages unacknowledged) in the vhost."""
    out = node.ctl("list_queues", "-p", vhost, "--quiet", "--no-table-headers",
                   "name", "messages_ready", "messages_unacknowledged")
    depths = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            depths[parts[0]] = (int(parts[1]), int(parts[2]))
    return depths


def handled_messages(http_url: str) -> Counter:
    """Queue -> messages this process's consumers finished with outcome `handled` (a
    redelivered event that the idempotency record turns into a no-op counts too)."""
    counts: Counter = Counter()
    for sample in metrics.samples(http_url):
        if sample.name == "messaging_messages_total" and sample.labels.get("outcome") == "handled":
            counts[sample.labels["queue"]] += int(sample.value)
    return counts


def handled_rpcs(http_url: str, methods: set[str] | None = None) -> Counter:
    """gRPC method -> calls this process completed (any status), health checks left out."""
    counts: Counter = Counter()
    for sample in metrics.samples(http_url):
        if sample.name == "grpc_server_handled_total" and sample.labels.get("grpc_service", "").startswith("shop."):
            method = sample.labels["grpc_method"]
            if methods is None or method in methods:
                counts[method] += int(sample.value)
    return counts


def counter(http_url: str, name: str, label: str) -> Counter:
    """A counter's value per value of one of its labels, in this process."""
    counts: Counter = Counter()
    for sample in metrics.samples(http_url):
        if sample.name == name:
            counts[sample.labels.get(label, "")] += int(sample.value)
    return counts


def sigkill_tree(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGKILL a process and every descendant it has, and reap it."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait(timeout)
    psutil.wait_procs(children, timeout=timeout)
