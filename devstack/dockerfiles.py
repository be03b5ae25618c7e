"""The Python images' Dockerfiles, made from one template: `python -m devstack.dockerfiles`
writes <package>/Dockerfile for every service and the website (`--check` only compares).

Each process has a Dockerfile of its own, beside its code, and Dockerfiles have no
include: a change to the base, the user or the dependency layer is made here once, and
tests/unit/test_dockerfiles.py fails while a committed file differs from what this makes."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from service_runtime.config import DEFAULT_PORTS

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Image:
    package: str
    header: str            # the comment lines at the top, after "# "
    expose: str            # the EXPOSE block (its comment, if any, and the line)
    health: str            # the comment above the HEALTHCHECK
    health_path: str       # what it asks for, on HTTP_PORT (default http_port)
    http_port: int
    start_period: str
    extra: str = ""        # lines after the code, before USER
    cmd_comment: str = ""  # the comment line(s) above CMD

    @property
    def path(self) -> Path:
        return REPO / self.package / "Dockerfile"


_TEMPLATE = """{header}
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    PYTHONPATH=/app:/app/genproto

# The same uid in every shop image (docs/containers.md).
RUN groupadd --system --gid 10001 shop \\
 && useradd --system --uid 10001 --gid shop --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin shop

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the runtime lock changes, and it is
# the same layer in every service and website image. The runtime lock is the part of
# requirements.lock these processes import: no test or load-test tools.
COPY requirements.runtime.lock ./
RUN pip install --no-deps -r requirements.runtime.lock

COPY genproto ./genproto
COPY service_runtime ./service_runtime
COPY {package} ./{package}

# The fault flags' file (docs/fault-flags.md). Compose and Kubernetes mount one shared
# volume here in every service and the website; a fresh volume takes this directory's owner.
RUN mkdir -p /var/lib/shop/flags && chown shop:shop /var/lib/shop/flags
ENV FLAGS_FILE=/var/lib/shop/flags/flags.json
{extra}
USER shop
{expose}

# {health}
HEALTHCHECK --interval=10s --timeout=3s --start-period={start_period} --retries=3 \\
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s{health_path}' % os.environ.get('HTTP_PORT', '{http_port}'), timeout=2)"]

{cmd_comment}CMD ["python", "-m", "{package}"]
"""


def _service(package: str, extra: str = "") -> Image:
    grpc_port, http_port = DEFAULT_PORTS[package]
    return Image(
        package=package,
        header=(f"# {package}: `python -m {package}`, gRPC on {grpc_port}, HTTP (JSON facade, /healthz, /metrics) "
                f"on {http_port}.\n# Build from the repository root: docker build -f {package}/Dockerfile ."),
        expose=f"EXPOSE {grpc_port} {http_port}",
        health="/healthz answers 200 only while the service's own dependencies answer too.",
        health_path="/healthz", http_port=http_port, start_period="30s", extra=extra,
        cmd_comment="# Exec form: the service is PID 1 and gets SIGTERM for its graceful shutdown.\n",
    )


_EMAIL_DIR = """
# Without SMTP_URL the emails are written as .eml files here (compose sets SMTP_URL).
RUN mkdir -p /var/lib/emailservice/mail && chown shop:shop /var/lib/emailservice/mail
ENV MAIL_DIR=/var/lib/emailservice/mail
"""

# frontend/shop.py serves the product pictures from the catalog's folder (IMAGES_DIR).
_PRODUCT_IMAGES = """
# The product pictures the website serves (frontend/shop.py reads them from the catalog's folder).
COPY catalogservice/images ./catalogservice/images
"""

IMAGES = [
    *(_service(package, _EMAIL_DIR if package == "emailservice" else "") for package in DEFAULT_PORTS),
    Image(
        package="frontend",
        header=("# The website: `python -m frontend` (gunicorn, WEB_WORKERS processes of 8 threads) on 8080.\n"
                "# Build from the repository root: docker build -f frontend/Dockerfile .\n"
                "# SECRET_KEY is required at run time and is never baked into the image."),
        expose="# The website, and its Prometheus metrics (all workers summed).\nEXPOSE 8080 8081",
        health="/_healthz creates no session and calls no service: it says the web server answers.",
        health_path="/_healthz", http_port=8080, start_period="20s", extra=_PRODUCT_IMAGES,
    ),
]


def render(image: Image) -> str:
    return _TEMPLATE.format(header=image.header, package=image.package, extra=image.extra, expose=image.expose,
                            health=image.health, health_path=image.health_path, http_port=image.http_port,
                            start_period=image.start_period, cmd_comment=image.cmd_comment)


def stale() -> list[Path]:
    """The committed Dockerfiles that differ from what render makes."""
    return [image.path for image in IMAGES if not image.path.exists() or image.path.read_text() != render(image)]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        differ = stale()
        for path in differ:
            print(f"{path.relative_to(REPO)} is stale: run .venv/bin/python -m devstack.dockerfiles", file=sys.stderr)
        return 1 if differ else 0
    for image in IMAGES:
        image.path.write_text(render(image))
        print(f"wrote {image.path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
