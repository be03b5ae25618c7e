"""The shop on the local Kubernetes cluster, as its tests see it: the website and KrakenD on
their NodePorts (127.0.0.1 only), and what a person would do with kubectl: list pods, read
logs, exec psql in the database's pod, port-forward a service."""
from __future__ import annotations

import json
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import kubeshop
from devstack.kube import TOOLS_BIN, Cluster
from tests.support.gateway import Gateway

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "kube"
NAMESPACE = kubeshop.NAMESPACE


@dataclass
class KubeShop:
    cluster: Cluster
    overlay: Path              # the overlay the shop was applied from (a copy, with its secrets)
    urls: dict[str, str]       # "frontend" / "krakend" -> http://127.0.0.1:<nodePort>

    @property
    def website_url(self) -> str:
        return self.urls["frontend"]

    @property
    def gateway(self) -> Gateway:
        return Gateway(self.urls["krakend"], keys_dir=Path("/nonexistent"), log_path=Path("/dev/null"))

    def kubectl(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.cluster.kubectl("-n", NAMESPACE, *args, **kwargs)

    def pods(self, app: str | None = None) -> list[dict]:
        selector = ["-l", f"app.kubernetes.io/name={app}"] if app else []
        return json.loads(self.kubectl("get", "pods", *selector, "-o", "json").stdout)["items"]

    def running_pods(self, app: str) -> list[str]:
        return [pod["metadata"]["name"] for pod in self.pods(app)
                if pod["status"].get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")]

    def logs(self, pod: str, since: str | None = None) -> str:
        return self.kubectl("logs", pod, *([f"--since={since}"] if since else []), timeout=60).stdout

    def sql(self, database: str, query: str) -> list[list[str]]:
        """Rows of a query run by psql in the database's pod, as a person would with kubectl exec."""
        out = self.kubectl("exec", "postgres-0", "--", "psql", "-U", "shop", "-d", database, "-AtF", "\t", "-c",
                           query, timeout=60).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def consumer_report(self, app: str) -> str:
        """For a failure message: the broker's queues (ready, unacknowledged, consumers), as
        rabbitmqctl in its pod lists them, and the warnings and errors of the app's pods."""
        queues = self.kubectl("exec", "rabbitmq-0", "--", "rabbitmqctl", "-q", "list_queues", "name", "messages_ready",
                              "messages_unacknowledged", "consumers", check=False, timeout=60)
        lines = [f"queues:\n{queues.stdout or queues.stderr}"]
        for pod in self.running_pods(app):
            noted = [line for line in self.logs(pod).splitlines() if '"level": "INFO"' not in line]
            lines.append(f"{pod} (warnings and errors, last 15):\n" + "\n".join(line[:400] for line in noted[-15:]))
        return "\n".join(lines)

    def scale(self, deployment: str, replicas: int, timeout: int = 300) -> None:
        self.kubectl("scale", f"deployment/{deployment}", f"--replicas={replicas}")
        self.kubectl("rollout", "status", f"deployment/{deployment}", f"--timeout={timeout}s", timeout=timeout + 30)

    @contextmanager
    def port_forward(self, target: str, port: int):
        """`kubectl port-forward TARGET :PORT` on 127.0.0.1: the local port, while open."""
        process = subprocess.Popen(
            [str(TOOLS_BIN / "kubectl"), "--kubeconfig", str(self.cluster.kubeconfig), "-n", NAMESPACE,
             "port-forward", "--address", "127.0.0.1", target, f":{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()  # "Forwarding from 127.0.0.1:40123 -> 50051"
            found = re.search(r"127\.0\.0\.1:(\d+)", line)
            assert found, f"kubectl port-forward said {line!r}: {process.stderr.read() if process.poll() else ''}"
            yield int(found[1])
        finally:
            process.terminate()
            process.wait(10)
