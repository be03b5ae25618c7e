"""The whole shop in containers, in the project's private Docker engine (devstack/docker.py),
with docker compose built by scripts/install-tools.sh.

    python -m devstack.containers up     # `make compose-up`: engine, stand-ins, images, shop
    python -m devstack.containers down   # `make compose-down`: the shop (volumes kept), engine

The engine's root is SHOP_DOCKER_ROOT, or .stack/docker; the settings are .env's (made with
fresh secrets when missing, as `python -m devstack.compose env` makes it).

For people without a Docker of their own. With one, `docker compose up --build` needs none of
this (docs/containers.md). The tests (tests/containers) drive the same class on an engine and
a compose project of their own."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devstack import compose as compose_config
from devstack import standins
from devstack.docker import COMPOSE, REPO, Engine, EngineError, root_from
from devstack.ports import free_port

COMPOSE_FILE = REPO / "docker-compose.yml"
# Built first, alone: every service and website image shares its dependency layer, which
# the others then take from the cache instead of installing the same lock side by side.
FIRST_BUILT = "catalogservice"
# What the default profile publishes, by service, and the compose variable that moves it.
PUBLISHED = {"frontend": "WEBSITE_PUBLISH", "krakend": "GATEWAY_PUBLISH", "mailpit": "MAILPIT_UI_PUBLISH",
             "rabbitmq": "RABBITMQ_UI_PUBLISH"}


def write_loopback_env(path: Path, values: dict[str, str] | None = None) -> dict[str, str]:
    """An env file (mode 600) for a run that publishes nothing beyond loopback: fresh secrets
    (devstack.compose env's), then `values`, and every published port moved to a free
    loopback port. Returns where each service is published ("127.0.0.1:port")."""
    published = {service: f"127.0.0.1:{free_port()}" for service in PUBLISHED}
    lines = {**compose_config.env_values(), **(values or {}),
             **{PUBLISHED[service]: address for service, address in published.items()}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{name}={value}\n" for name, value in lines.items()))
    return published


@dataclass
class ComposeShop:
    engine: Engine
    project: str
    env_file: Path

    def compose(self, *args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
        if not COMPOSE.exists():
            raise EngineError(f"{COMPOSE} is missing: run `make deps`")
        argv = [str(COMPOSE), "--project-name", self.project, "--project-directory", str(REPO),
                "--file", str(COMPOSE_FILE), "--env-file", str(self.env_file), *args]
        result = subprocess.run(argv, env=self.engine.environment(), cwd=REPO, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            output = ((result.stdout or "") + (result.stderr or ""))[-6000:]
            raise EngineError(f"docker compose {' '.join(args)} failed ({result.returncode}):\n{output}")
        return result

    def build(self, *profiles: str) -> float:
        """Build every image the profiles use; the seconds it took."""
        start = time.monotonic()
        standins.ensure_all(self.engine, ("", *profiles))
        self.compose("build", FIRST_BUILT, timeout=1800)
        self.compose(*self._profiles(profiles), "build", timeout=1800)
        return time.monotonic() - start

    @staticmethod
    def _profiles(profiles) -> list[str]:
        return [arg for profile in profiles for arg in ("--profile", profile)]

    def up(self, *services: str, profiles: tuple[str, ...] = (), timeout: int = 300, extra: tuple = ()) -> None:
        """Start (or bring to the file's state) and wait until every container is healthy."""
        self.compose(*self._profiles(profiles), "up", "--detach", "--wait", "--wait-timeout", str(timeout),
                     *extra, *services, timeout=timeout + 120)

    def down(self, volumes: bool = False) -> None:
        self.compose("down", "--remove-orphans", "--timeout", "20", *(["--volumes"] if volumes else []),
                     timeout=300)

    def containers(self, service: str) -> list[str]:
        """The ids of a service's running containers."""
        return self.compose("ps", "--quiet", service).stdout.split()

    def logs(self, *services: str, tail: int = 200) -> str:
        result = self.compose("logs", "--no-color", "--tail", str(tail), *services, check=False)
        return (result.stdout or "") + (result.stderr or "")


def up(root: Path, env_file: Path = compose_config.ENV_FILE) -> int:
    engine = Engine(root).keep_running()
    written = compose_config.write_env(env_file)
    if written:
        print(f"{env_file}: wrote {', '.join(written)}")
    shop = ComposeShop(engine, "shop", env_file)
    print(f"building the images (stand-ins for the third-party ones: deploy/standins/) in {engine.root}", flush=True)
    took = shop.build()
    print(f"built in {took:.0f} s; starting the shop", flush=True)
    shop.up()
    print("the shop runs in containers:\n"
          "  website      http://localhost:8080\n"
          "  public API   http://localhost:8000/api/v1/products\n"
          "  mailpit      http://127.0.0.1:8025\n"
          "  RabbitMQ UI  http://127.0.0.1:15672 (shop / shop)\n"
          f"docker commands: {'; '.join(f'export {k}={v}' for k, v in _client_variables(engine).items())}\n"
          "`make compose-down` stops it (the data volumes stay).")
    return 0


def _client_variables(engine: Engine) -> dict[str, str]:
    env = engine.environment()
    return {name: env[name] for name in ("DOCKER_HOST", "DOCKER_CONFIG")}


def down(root: Path, env_file: Path = compose_config.ENV_FILE) -> int:
    engine = Engine(root)
    if engine.answers():
        if env_file.exists():
            ComposeShop(engine, "shop", env_file).down()
        engine.stop()
    print("the shop's containers and the private engine are stopped (volumes kept)")
    return 0


def main(argv: list[str]) -> int:
    commands = {"up": up, "down": down}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python -m devstack.containers up|down", file=sys.stderr)
        return 2
    try:
        return commands[argv[0]](root_from([]))
    except EngineError as err:
        print(f"containers: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
