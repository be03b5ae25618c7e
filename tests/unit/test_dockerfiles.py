"""Every image is small, runs as a user that is not root, says whether it is healthy on the
right port, keeps the locked dependencies in a layer of their own (code changes do not
reinstall them; the services and the website get only the runtime lock), and carries no
secret. Read from the Dockerfiles; no Docker needed."""
from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import dockerfiles
from devstack.stack import SERVICES
from service_runtime.config import DEFAULT_PORTS

REPO = Path(__file__).resolve().parents[2]
PYTHON_BASE = "python:3.11-slim"
SHOP_UID = "10001"
KRAKEND_VERSION = re.search(r"^KRAKEND_VERSION=(\S+)", (REPO / "scripts/install-tools.sh").read_text(), re.M)[1]

# image -> (package run by `python -m`, health URL path, HTTP port, exposed ports)
PYTHON_IMAGES = {
    **{f"{s}/Dockerfile": (s, "/healthz", http, {grpc, http}) for s, (grpc, http) in DEFAULT_PORTS.items()},
    "frontend/Dockerfile": ("frontend", "/_healthz", 8080, {8080, 8081}),  # the site, its metrics
}
KRAKEND_IMAGE = "krakend/Dockerfile"
TOOLS_IMAGE = "deploy/compose/tools.Dockerfile"
ALL_IMAGES = [*PYTHON_IMAGES, KRAKEND_IMAGE, TOOLS_IMAGE]


@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD, ENTRYPOINT or HEALTHCHECK CMD, else None."""
        text = self.args.split("CMD", 1)[1] if self.keyword == "HEALTHCHECK" else self.args
        try:
            value = json.loads(text.strip())
        except ValueError:
            return None
        return value if isinstance(value, list) else None


def parse(path: Path) -> list[Instruction]:
    """Instructions, with comments dropped and continuation lines joined."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, args = (pending + line).strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, f"{path}: a continuation runs off the end"
    return instructions


def of(image: str, keyword: str) -> list[Instruction]:
    return [i for i in parse(REPO / image) if i.keyword == keyword]


def positions(image: str, keyword: str) -> list[int]:
    return [n for n, i in enumerate(parse(REPO / image)) if i.keyword == keyword]


def test_there_is_a_dockerfile_for_every_service_the_website_and_the_gateway():
    assert {image.split("/")[0] for image in PYTHON_IMAGES} == {*SERVICES, "frontend"}
    for image in ALL_IMAGES:
        assert (REPO / image).is_file(), image


@pytest.mark.parametrize("image", [*PYTHON_IMAGES, TOOLS_IMAGE])
def test_python_images_are_slim_official_ones(image):
    assert [i.args for i in of(image, "FROM")] == [PYTHON_BASE]


def test_the_gateway_image_is_the_official_krakend_with_the_binary_this_repository_builds():
    """Built in the image by the script that builds .tools/bin/krakend, at the pinned version."""
    assert KRAKEND_VERSION == "1.4.1"
    assert [i.args for i in of(KRAKEND_IMAGE, "FROM")] == ["golang:1.26-bookworm AS build",
                                                           f"devopsfaith/krakend:{KRAKEND_VERSION}"]
    assert [i.args for i in of(KRAKEND_IMAGE, "ARG")] == [f"KRAKEND_VERSION={KRAKEND_VERSION}"]
    builds = [i.args for i in of(KRAKEND_IMAGE, "RUN") if "build.sh" in i.args]
    assert len(builds) == 1 and builds[0].startswith('/src/krakend/build/build.sh "$KRAKEND_VERSION" /out/krakend')
    assert [i.args for i in of(KRAKEND_IMAGE, "COPY")] == [
        "krakend/build /src/krakend/build", "--from=build /out/krakend /usr/bin/krakend",
        "deploy/compose/krakend.json /etc/krakend/krakend.json"]
    assert of(KRAKEND_IMAGE, "ENTRYPOINT")[0].exec_form() == ["/usr/bin/krakend"]
    assert of(KRAKEND_IMAGE, "CMD")[0].exec_form() == ["run", "-c", "/etc/krakend/krakend.json"]
    assert [i.args for i in of(KRAKEND_IMAGE, "ENV")] == ["USAGE_DISABLE=1"], "no usage report to krakend.io"


@pytest.mark.parametrize("image", ALL_IMAGES)
def test_images_run_as_the_shop_user_not_root(image):
    users = of(image, "USER")
    assert users, f"{image} has no USER: it would run as root"
    last = users[-1].args
    assert last.split(":")[0] not in ("root", "0"), image
    # Everything that needs root (RUN) comes before it.
    assert positions(image, "USER")[-1] > max(positions(image, "RUN"), default=-1), image
    if image == KRAKEND_IMAGE:
        # The keys service writes the private key set mode 600 as the shop user: same uid.
        assert last == f"{SHOP_UID}:{SHOP_UID}"
    else:
        [create] = [i.args for i in of(image, "RUN") if "useradd" in i.args]
        assert f"--uid {SHOP_UID}" in create and f"--gid {SHOP_UID}" in create and last == "shop"


@pytest.mark.parametrize("image", PYTHON_IMAGES)
def test_healthchecks_ask_the_process_on_its_http_port(image):
    package, path, port, _ = PYTHON_IMAGES[image]
    [health] = of(image, "HEALTHCHECK")
    command = health.exec_form()
    assert command[:2] == ["python", "-c"], image
    assert f"'http://127.0.0.1:%s{path}'" in command[2] and f"os.environ.get('HTTP_PORT', '{port}')" in command[2]
    compile(command[2], image, "exec")
    assert re.search(r"--interval=\d+s --timeout=\d+s", health.args)


def test_the_gateway_healthcheck_asks_krakend_health_endpoint():
    [health] = of(KRAKEND_IMAGE, "HEALTHCHECK")
    assert health.exec_form() == ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/__health"]


def test_the_tools_image_has_a_healthcheck():
    [health] = of(TOOLS_IMAGE, "HEALTHCHECK")
    assert health.exec_form()[:2] == ["python", "-c"]


# The services and the website get the runtime lock (tests/unit/test_locks.py checks it
# holds all they import); the tools image runs locust and devstack, and gets the whole lock.
LOCKS = {**{image: "requirements.runtime.lock" for image in PYTHON_IMAGES}, TOOLS_IMAGE: "requirements.lock"}


@pytest.mark.parametrize("image", LOCKS)
def test_locked_dependencies_are_installed_before_any_code_is_copied(image):
    lock = LOCKS[image]
    instructions = parse(REPO / image)
    copies = positions(image, "COPY")
    assert instructions[copies[0]].args == f"{lock} ./", f"{image}: {lock} must be copied first"
    [install] = [n for n in positions(image, "RUN") if "pip install" in instructions[n].args]
    assert instructions[install].args.split()[-2:] == ["-r", lock], f"{image} must install {lock}, and only it"
    assert "--no-deps" in instructions[install].args, "the lock is complete: install exactly it"
    assert copies[0] < install < copies[1], f"{image}: code is copied before the dependencies are installed"


@pytest.mark.parametrize("image", PYTHON_IMAGES)
def test_each_image_holds_its_package_the_runtime_and_the_generated_code_and_runs_it(image):
    package, _, _, exposed = PYTHON_IMAGES[image]
    # What else an image needs at run time (the website's product pictures) is proved by the
    # containerised shop itself (tests/containers).
    assert [i.args for i in of(image, "COPY")[1:4]] == [
        "genproto ./genproto", "service_runtime ./service_runtime", f"{package} ./{package}"]
    assert [i.args for i in of(image, "WORKDIR")] == ["/app"]
    env = " ".join(i.args for i in of(image, "ENV"))
    assert "PYTHONPATH=/app:/app/genproto" in env
    assert of(image, "CMD")[-1].exec_form() == ["python", "-m", package], "exec form: SIGTERM reaches python"
    assert {int(p) for i in of(image, "EXPOSE") for p in i.args.split()} == exposed


@pytest.mark.parametrize("image", ALL_IMAGES)
def test_no_secret_is_baked_into_an_image(image):
    text = " ".join(i.args for i in parse(REPO / image) if i.keyword in ("ENV", "ARG"))
    for name in ("SECRET_KEY", "ADMIN_PASSWORD", "DATABASE_URL", "AMQP_URL", "SMTP_URL"):
        assert name not in text, f"{image} sets {name}"


def dockerignore() -> list[str]:
    return [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    parts = Path(path).parts
    for pattern in dockerignore():
        pattern = pattern.removeprefix("**/")
        for n in range(1, len(parts) + 1):
            if fnmatch.fnmatch("/".join(parts[:n]), pattern) or fnmatch.fnmatch(parts[n - 1], pattern):
                return True
    return False


def test_the_build_context_leaves_out_local_state_and_secrets():
    for path in (".env", ".venv", ".stack", ".tools", ".git", "krakend/keys", "krakend/keys/private.jwks.json",
                 "catalogservice/__pycache__/x.pyc"):
        assert ignored(path), path


@pytest.mark.parametrize("image", ALL_IMAGES)
def test_everything_an_image_copies_exists_and_is_in_the_build_context(image):
    for copy in of(image, "COPY"):
        if copy.args.startswith("--from="):  # from an earlier stage, not the context
            continue
        *sources, _target = copy.args.split()
        for source in sources:
            assert (REPO / source).exists(), f"{image} copies missing {source}"
            assert not ignored(source), f"{image} copies {source}, which .dockerignore leaves out"


def test_the_python_images_are_what_their_one_template_makes():
    assert {image.path.relative_to(REPO).as_posix() for image in dockerfiles.IMAGES} == set(PYTHON_IMAGES)
    assert dockerfiles.stale() == [], "run .venv/bin/python -m devstack.dockerfiles"
