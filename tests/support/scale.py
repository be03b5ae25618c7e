"""Helpers for running several instances of a service side by side in tests: a RabbitMQ
vhost of their own on a shared node, the node's queue depths, each instance's counters
read from its /metrics, and SIGKILL that leaves no child behind."""
from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from collections import Counter
from pathlib import Path

import psutil
from prometheus_client.parser import text_string_to_metric_families

from devstack import rabbitmq as devstack_rabbitmq

RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def _ctl_env(node: devstack_rabbitmq.Node) -> dict[str, str]:
    """What rabbitmqctl needs to reach a devstack node: its Erlang cookie (HOME), node
    name and epmd port (devstack keeps the node's files under <directory>/rabbitmq)."""
    epmd_port = node._env["STACK_EPMD_PORT"]  # noqa: SLF001 (the node does not expose it otherwise)
    return {**os.environ, "HOME": str((Path(node.directory) / "rabbitmq").resolve()),
            "RABBITMQ_NODENAME": devstack_rabbitmq.node_name(node.amqp_port), "ERL_EPMD_PORT": str(epmd_port)}


def rabbitmqctl(node: devstack_rabbitmq.Node, *args: str, timeout: float = 30) -> str:
    done = subprocess.run([RABBITMQCTL, *args], env=_ctl_env(node), capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout


def add_vhost(node: devstack_rabbitmq.Node, vhost: str) -> str:
    """A fresh vhost on the node, open to the devstack user; returns its AMQP URL. Queues
    and exchanges of the same names in other vhosts never see its messages."""
    rabbitmqctl(node, "add_vhost", vhost)
    rabbitmqctl(node, "set_permissions", "-p", vhost, devstack_rabbitmq.USER, ".*", ".*", ".*")
    return node.url.rstrip("/") + "/" + vhost


def delete_vhost(node: devstack_rabbitmq.Node, vhost: str) -> None:
    rabbitmqctl(node, "delete_vhost", vhost)


def queue_depths(node: devstack_rabbitmq.Node, vhost: str) -> dict[str, tuple[int, int]]:
    """Queue name -> (messages ready, messages unacknowledged) in the vhost."""
    out = rabbitmqctl(node, "list_queues", "-p", vhost, "--quiet", "--no-table-headers",
                      "name", "messages_ready", "messages_unacknowledged")
    depths = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            depths[parts[0]] = (int(parts[1]), int(parts[2]))
    return depths


def metrics(http_url: str, timeout: float = 5) -> list:
    """The samples of a service's /metrics."""
    with urllib.request.urlopen(f"{http_url}/metrics", timeout=timeout) as reply:
        text = reply.read().decode()
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def handled_messages(http_url: str) -> Counter:
    """Queue -> messages this process's consumers finished with outcome `handled` (a
    redelivered event that the idempotency record turns into a no-op counts too)."""
    counts: Counter = Counter()
    for sample in metrics(http_url):
        if sample.name == "messaging_messages_total" and sample.labels.get("outcome") == "handled":
            counts[sample.labels["queue"]] += int(sample.value)
    return counts


def handled_rpcs(http_url: str, methods: set[str] | None = None) -> Counter:
    """gRPC method -> calls this process completed (any status), health checks left out."""
    counts: Counter = Counter()
    for sample in metrics(http_url):
        if sample.name == "grpc_server_handled_total" and sample.labels.get("grpc_service", "").startswith("shop."):
            method = sample.labels["grpc_method"]
            if methods is None or method in methods:
                counts[method] += int(sample.value)
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
