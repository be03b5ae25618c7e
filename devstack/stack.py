"""The local shop: which processes run, on which ports, with which environment. One
place for `make run`'s Procfile environment and its "what runs where" table."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service_runtime.config import DEFAULT_PORTS

from devstack import postgres, rabbitmq, redis

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / ".stack"

# Private infrastructure ports: away from the defaults, so a system PostgreSQL, Redis or
# RabbitMQ on this machine is never touched.
POSTGRES_PORT = 55432
REDIS_PORT = 56379
AMQP_PORT = 55672
RABBITMQ_DIST_PORT = 55673
EPMD_PORT = 54369

# Each service that keeps data in PostgreSQL has a database of its own.
DATABASES = {"catalogservice": "catalog"}
# The services that exist so far (each is `python -m <name>`).
SERVICES = ["catalogservice"]


@dataclass(frozen=True)
class Stack:
    state: Path = STATE

    @property
    def cluster(self) -> postgres.Cluster:
        return postgres.Cluster(self.state / "postgres", POSTGRES_PORT)

    def environment(self) -> dict[str, str]:
        env = {
            "REDIS_URL": redis.url(REDIS_PORT),
            "AMQP_URL": rabbitmq.url(AMQP_PORT),
            "BIND_HOST": "127.0.0.1",
        }
        for service, database in DATABASES.items():
            env[f"{service.removesuffix('service').upper()}_DATABASE_URL"] = self.cluster.url(database)
        return env

    def ports(self) -> dict[str, int]:
        ports = {"postgres": POSTGRES_PORT, "redis": REDIS_PORT, "rabbitmq": AMQP_PORT}
        for service in SERVICES:
            grpc_port, http_port = DEFAULT_PORTS[service]
            ports[f"{service} gRPC"] = grpc_port
            ports[f"{service} HTTP"] = http_port
        return ports

    def table(self) -> str:
        rows = [
            ("PostgreSQL", f"127.0.0.1:{POSTGRES_PORT}", f"databases: {', '.join(DATABASES.values())}"),
            ("Redis", f"127.0.0.1:{REDIS_PORT}", redis.url(REDIS_PORT)),
            ("RabbitMQ", f"127.0.0.1:{AMQP_PORT}", rabbitmq.url(AMQP_PORT)),
        ]
        for service in SERVICES:
            grpc_port, http_port = DEFAULT_PORTS[service]
            rows.append((service, f"localhost:{grpc_port}", f"http://localhost:{http_port}  (/healthz, /metrics, /v1/...)"))
        width = max(len(r[0]) for r in rows)
        lines = [f"  {name.ljust(width)}  {where.ljust(16)}  {note}" for name, where, note in rows]
        return "\n".join(["The shop runs here (Ctrl-C stops everything):", *lines,
                          f"  try: .tools/bin/grpcurl -plaintext localhost:{DEFAULT_PORTS['catalogservice'][0]} list"])
