"""`python -m devstack run` starts the local shop under honcho; the other commands are
the Procfile's foreground servers."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

from devstack import krakend, rabbitmq, redis
from devstack.stack import DATABASES, REPO, Stack


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def prepare(stack: Stack) -> None:
    """Create what the servers need on disk; safe to repeat."""
    cluster = stack.cluster
    cluster.init()
    if not cluster.is_running():
        cluster.start()  # briefly, to create missing databases; honcho runs it for real
        try:
            created = cluster.create_databases(sorted(set(DATABASES.values())))
        finally:
            cluster.stop()
        if created:
            print(f"created databases: {', '.join(created)}")
    (stack.state / "redis").mkdir(parents=True, exist_ok=True)
    (stack.state / "rabbitmq").mkdir(parents=True, exist_ok=True)


def run(stack: Stack) -> int:
    busy = [f"{name} ({port})" for name, port in stack.ports.items() if _busy(port)]
    if busy:
        print("Cannot start: these ports are already in use (is the shop already running?): " + ", ".join(busy),
              file=sys.stderr)
        return 1
    prepare(stack)
    stack.state.mkdir(parents=True, exist_ok=True)
    env_file = stack.state / "stack.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in stack.environment().items()))
    print(stack.table(), flush=True)
    honcho = [sys.executable, "-m", "honcho", "start", "-f", str(REPO / "Procfile"), "-e", str(env_file),
              "-d", str(REPO)]
    supervisor = subprocess.Popen(honcho, cwd=REPO)
    while True:
        try:
            return supervisor.wait()
        except KeyboardInterrupt:  # honcho got the Ctrl-C too: wait while it stops everything
            continue


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "run"
    try:
        stack = Stack.from_env()
    except ValueError as exc:  # a STACK_LIMITS that names no profile
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    if command == "run":
        return run(stack)
    if command == "postgres":
        return stack.cluster.run_foreground()
    if command == "redis":
        argv_ = redis.server_argv(stack.state / "redis", stack.ports["STACK_REDIS_PORT"])
        os.execvp(argv_[0], argv_)
    if command == "rabbitmq":
        p = stack.ports
        return rabbitmq.run_server(stack.state / "rabbitmq", p["STACK_AMQP_PORT"], p["STACK_RABBITMQ_DIST_PORT"],
                             p["STACK_EPMD_PORT"])
    if command == "krakend":
        # Signing keys made on first run, kept with the stack's other state; the per-client
        # rate limits of the stack's limits profile (STACK_LIMITS, in stack.env).
        krakend.run_foreground(stack.state, stack.ports["STACK_GATEWAY_PORT"], stack.service_http_ports(),
                               keys_dir=stack.state / "krakend-keys", client_rate=stack.limits.gateway_client_rate)
    print("usage: python -m devstack [run|postgres|redis|rabbitmq|krakend]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
