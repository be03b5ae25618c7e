"""The local shop: which processes run, on which ports, with which environment. One
place for `make run`'s Procfile environment and its "what runs where" table."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from service_runtime.config import DEFAULT_PORTS

from devstack import limits as stack_limits
from devstack import postgres, rabbitmq, redis

REPO = Path(__file__).resolve().parents[1]

# Private infrastructure ports: away from the defaults, so a system PostgreSQL, Redis or
# RabbitMQ on this machine is never touched. Each can be moved by an environment variable
# of the same name (the tests run a whole stack on free ports that way).
INFRA_PORTS = {
    "STACK_POSTGRES_PORT": 55432,
    "STACK_REDIS_PORT": 56379,
    "STACK_AMQP_PORT": 55672,
    "STACK_RABBITMQ_DIST_PORT": 55673,
    "STACK_EPMD_PORT": 54369,
    # RabbitMQ's Prometheus plugin (per-queue depth), read by devstack.rabbitmq.
    "STACK_RABBITMQ_PROMETHEUS_PORT": 55692,
}

# The public doors, at the ports DESIGN.md gives them, movable like the others: the public
# API's gateway (KrakenD) and the website.
GATEWAY_PORTS = {"STACK_GATEWAY_PORT": 8000, "STACK_WEB_PORT": 8080}
# The website serves its Prometheus metrics on a port of their own, never the public one
# (the services serve theirs on their HTTP ports).
METRICS_PORTS = {"STACK_WEB_METRICS_PORT": 8081}
# Every port above, each movable by its environment variable.
MOVABLE_PORTS = {**INFRA_PORTS, **GATEWAY_PORTS, **METRICS_PORTS}

# Each service that keeps data in PostgreSQL has a database of its own.
DATABASES = {"catalogservice": "catalog", "shippingservice": "shipping", "checkoutservice": "orders",
             "paymentservice": "payment", "emailservice": "email", "identityservice": "identity",
             "recommendationservice": "recommendation"}
# The services that exist so far (each is `python -m <name>`).
SERVICES = ["catalogservice", "cartservice", "shippingservice", "paymentservice", "emailservice", "checkoutservice",
            "identityservice", "recommendationservice"]

# What `make run` logs unless CALL_LOG says otherwise (see Stack.call_log).
LOCAL_CALL_LOG = "slow"

# identityservice's first admin on the local stack (the Procfile passes both to it). The
# password is random, made once per stack directory and kept there, never in the repository.
DEV_ADMIN_EMAIL = "admin@shop.local"
DEV_ADMIN_PASSWORD_FILE = "admin-password"
# The key that signs the website's session cookies, made the same way.
WEB_SECRET_KEY_FILE = "web-secret-key"


def kept_secret(state: Path, name: str, size: int = 18) -> str:
    """A random secret made once per stack directory and kept in it (mode 600)."""
    path = state / name
    state.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    secret = secrets.token_urlsafe(size)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    return secret


def dev_admin_password(state: Path) -> str:
    return kept_secret(state, DEV_ADMIN_PASSWORD_FILE)


def _prefix(service: str) -> str:
    return service.removesuffix("service").upper()


@dataclass(frozen=True)
class Stack:
    state: Path
    ports: dict[str, int] = field(default_factory=dict)
    # Per-client sign-in and registration limits (devstack/limits.py; STACK_LIMITS).
    limits: stack_limits.Limits = stack_limits.DEFAULT
    # Which calls and requests get an access line (service_runtime/call_log.py). Here the
    # thirteen processes share one terminal through honcho, which reads and prefixes every
    # line on the same cores as the shop: at 300 shoppers, a line for every call was about
    # 700 lines a second and cost the load test's p95 a tenth (docs/performance.md). So
    # the local stack writes the slow and failed ones (CALL_LOG=all for every call);
    # containers and Kubernetes keep the services' default, all.
    call_log: str = LOCAL_CALL_LOG

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Stack":
        environ = os.environ if environ is None else environ
        ports = {name: int(environ.get(name, default)) for name, default in MOVABLE_PORTS.items()}
        for service in SERVICES:
            grpc_port, http_port = DEFAULT_PORTS[service]
            ports[f"{_prefix(service)}_GRPC_PORT"] = int(environ.get(f"{_prefix(service)}_GRPC_PORT", grpc_port))
            ports[f"{_prefix(service)}_HTTP_PORT"] = int(environ.get(f"{_prefix(service)}_HTTP_PORT", http_port))
        return cls(Path(environ.get("STACK_DIR", REPO / ".stack")).resolve(), ports, stack_limits.chosen(environ),
                   environ.get("CALL_LOG", LOCAL_CALL_LOG))

    @property
    def cluster(self) -> postgres.Cluster:
        return postgres.Cluster(self.state / "postgres", self.ports["STACK_POSTGRES_PORT"])

    def environment(self) -> dict[str, str]:
        """What the Procfile's commands read (honcho's env file)."""
        env = {name: str(port) for name, port in self.ports.items()}
        env.update({
            "STACK_DIR": str(self.state),
            "REDIS_URL": redis.url(self.ports["STACK_REDIS_PORT"]),
            "AMQP_URL": rabbitmq.url(self.ports["STACK_AMQP_PORT"]),
            "BIND_HOST": "127.0.0.1",
            "MAIL_DIR": str(self.state / "mail"),
            # Every process watches this one file (service_runtime/fault_flags.py).
            "FLAGS_FILE": str(self.state / "flags.json"),
            "DEV_ADMIN_EMAIL": DEV_ADMIN_EMAIL,
            "DEV_ADMIN_PASSWORD": dev_admin_password(self.state),
            "WEB_SECRET_KEY": kept_secret(self.state, WEB_SECRET_KEY_FILE, 32),
            "CALL_LOG": self.call_log,
            **stack_limits.environment(self.limits),
        })
        for service, database in DATABASES.items():
            env[f"{_prefix(service)}_DATABASE_URL"] = self.cluster.url(database)
        return env

    def table(self) -> str:
        p = self.ports
        rows = [
            ("PostgreSQL", f"127.0.0.1:{p['STACK_POSTGRES_PORT']}", f"databases: {', '.join(DATABASES.values())}"),
            ("Redis", f"127.0.0.1:{p['STACK_REDIS_PORT']}", redis.url(p["STACK_REDIS_PORT"])),
            ("RabbitMQ", f"127.0.0.1:{p['STACK_AMQP_PORT']}", rabbitmq.url(p["STACK_AMQP_PORT"])),
            ("RabbitMQ metrics", f"127.0.0.1:{p['STACK_RABBITMQ_PROMETHEUS_PORT']}",
             f"http://127.0.0.1:{p['STACK_RABBITMQ_PROMETHEUS_PORT']}/metrics/per-object  (queue depths)"),
        ]
        for service in SERVICES:
            grpc_port, http_port = p[f"{_prefix(service)}_GRPC_PORT"], p[f"{_prefix(service)}_HTTP_PORT"]
            rows.append((service, f"localhost:{grpc_port}", f"http://localhost:{http_port}  (/healthz, /metrics, /v1/...)"))
        rows.append(("website", f"localhost:{p['STACK_WEB_PORT']}",
                     f"http://localhost:{p['STACK_WEB_PORT']}/  (the shop in a browser, /_healthz)"))
        rows.append(("website metrics", f"localhost:{p['STACK_WEB_METRICS_PORT']}",
                     f"http://localhost:{p['STACK_WEB_METRICS_PORT']}/metrics  (Prometheus text, all workers)"))
        rows.append(("KrakenD", f"localhost:{p['STACK_GATEWAY_PORT']}",
                     f"http://localhost:{p['STACK_GATEWAY_PORT']}/api/v1/...  (the public API, /__health)"))
        width = max(len(r[0]) for r in rows)
        lines = [f"  {name.ljust(width)}  {where.ljust(16)}  {note}" for name, where, note in rows]
        first_grpc = p[f"{_prefix(SERVICES[0])}_GRPC_PORT"]
        admin = (f"  first admin: {DEV_ADMIN_EMAIL} / {dev_admin_password(self.state)}"
                 f"  (kept in {self.state / DEV_ADMIN_PASSWORD_FILE})")
        limits = f"  sign-in and registration limits: {self.limits.describe()}"
        access = f"  access lines: CALL_LOG={self.call_log} (all: a line for every call and page)"
        flags = (f"  fault flags (docs/fault-flags.md): FLAGS_FILE={self.state / 'flags.json'} "
                 ".venv/bin/python -m service_runtime.fault_flags show")
        return "\n".join(["The shop runs here (Ctrl-C stops everything):", *lines, admin, limits, access, flags,
                          f"  try: .tools/bin/grpcurl -plaintext localhost:{first_grpc} list",
                          f"       curl http://localhost:{p['STACK_GATEWAY_PORT']}/api/v1/products?page_size=3"])

    def service_http_ports(self) -> dict[str, int]:
        return {service: self.ports[f"{_prefix(service)}_HTTP_PORT"] for service in SERVICES}
