"""Stand-ins for the third-party images docker-compose.yml names, built in a private engine
(devstack/docker.py) because no image registry can be reached here.

    python -m devstack.standins [ROOT]   # build what is missing or stale in ROOT's engine

Each stand-in is a directory of deploy/standins/ whose Dockerfile says what of the upstream
image it reproduces and what differs. They all start from one Debian 12 root file system
that mmdebstrap makes and `docker import` turns into an image. A stand-in is tagged with
exactly the upstream image's name, inside the private engine only, and carries the label
`shop.standin` (the hash of what it was built from, so an unchanged one is not rebuilt) and
a description saying that it is a stand-in. The committed compose file and Dockerfiles name
the upstream images; nothing here changes them."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.docker import REPO, TOOLS, Engine, EngineError, root_from

STANDINS_DIR = REPO / "deploy" / "standins"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LABEL = "shop.standin"
DESCRIPTION = "A stand-in built by the shop's tests from Debian packages or its own builds; not the upstream image"

# The root file system every stand-in starts from.
BASE_NAME = "shop-standins/bookworm"
DEBIAN_SOURCES = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
MMDEBSTRAP = ("mmdebstrap", "--variant=minbase", "--include=ca-certificates", "--format=tar",
              # Documentation and translations are of no use in a container (copyright files
              # stay); the options stay in the image's dpkg configuration, so every package a
              # stand-in installs later leaves them out too.
              "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-include=/usr/share/doc/*/copyright",
              "--dpkgopt=path-exclude=/usr/share/man/*",
              "--dpkgopt=path-exclude=/usr/share/locale/*", "--dpkgopt=path-include=/usr/share/locale/locale.alias",
              # No package a stand-in installs starts its service during the build (as in
              # Debian's own container images): there is no init to start it with.
              "--customize-hook=printf '#!/bin/sh\\nexit 101\\n' > \"$1/usr/sbin/policy-rc.d\"; "
              "chmod 755 \"$1/usr/sbin/policy-rc.d\"",
              "bookworm", "-", *DEBIAN_SOURCES)


@dataclass(frozen=True)
class StandIn:
    directory: str               # under deploy/standins/
    tags: tuple[str, ...]        # the upstream names it is tagged with
    files: dict[str, Path] = field(default_factory=dict)  # added to the build context
    profile: str = ""            # the compose profile that needs it ("" = the default one)


STANDINS = (
    StandIn("python", ("python:3.11-slim",), {"host-ca-certificates.crt": HOST_CA_BUNDLE}),
    StandIn("postgres", ("postgres:15",)),
    StandIn("redis", ("redis:7.2-alpine",)),
    StandIn("rabbitmq", ("rabbitmq:3.13-management",)),
    StandIn("mailpit", ("axllent/mailpit:v1.27.11",), {"mailpit": TOOLS / "bin" / "mailpit"}),
    StandIn("krakend", ("devopsfaith/krakend:1.4.1",), {"krakend": TOOLS / "bin" / "krakend"}),
    # krakend/Dockerfile's build stage: the gateway's binary is built from source in the image.
    StandIn("golang", ("golang:1.26-bookworm",), {"host-ca-certificates.crt": HOST_CA_BUNDLE}),
    # The observability profile (but Grafana, which has no source that can be built here).
    StandIn("otelcol", ("otel/opentelemetry-collector:0.111.0",), {"otelcol": TOOLS / "bin" / "otelcol"},
            profile="observability"),
    StandIn("prometheus", ("prom/prometheus:v2.42.0",), {"prometheus": Path("/usr/bin/prometheus")},
            profile="observability"),
    StandIn("jaeger", ("jaegertracing/all-in-one:1.62.0",), {"jaeger-all-in-one": TOOLS / "bin" / "jaeger-all-in-one"},
            profile="observability"),
)


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(hashlib.sha256(part).digest())
    return sha.hexdigest()[:16]


def base_tag() -> str:
    return f"{BASE_NAME}:{_digest(' '.join(MMDEBSTRAP).encode())}"


def _context_files(standin: StandIn) -> dict[str, Path]:
    own = {path.name: path for path in sorted((STANDINS_DIR / standin.directory).iterdir()) if path.is_file()}
    return {**own, **standin.files}


def fingerprint(standin: StandIn) -> str:
    """What the stand-in is built from: the base, its directory and its added files."""
    parts = [base_tag().encode()]
    for name, path in sorted(_context_files(standin).items()):
        if not path.exists():
            raise EngineError(f"{path} is missing (run `make deps`): the {standin.directory} stand-in needs it")
        parts += [name.encode(), path.read_bytes()]
    return _digest(*parts)


def _label(engine: Engine, tag: str) -> str | None:
    result = engine.docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{LABEL}"}}}}', tag,
                           check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def ensure_base(engine: Engine) -> str:
    tag = base_tag()
    if engine.docker("image", "inspect", tag, check=False).returncode == 0:
        return tag
    start = time.monotonic()
    print(f"standins: making {tag} with mmdebstrap (Debian 12 minbase)", flush=True)
    with tempfile.TemporaryDirectory(prefix="shop-standin-base-") as scratch:
        tarball = Path(scratch) / "rootfs.tar"
        with tarball.open("wb") as out:
            made = subprocess.run(MMDEBSTRAP, stdout=out, stderr=subprocess.PIPE, text=True)
        if made.returncode != 0:
            raise EngineError(f"mmdebstrap failed:\n{made.stderr[-3000:]}")
        engine.docker("import", "--change", 'CMD ["bash"]', "--change",
                      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                      "--message", DESCRIPTION, str(tarball), tag)
    print(f"standins: {tag} made in {time.monotonic() - start:.0f} s", flush=True)
    return tag


def ensure(engine: Engine, standin: StandIn, base: str) -> bool:
    """Build the stand-in unless its first tag already holds this fingerprint; True if built."""
    wanted = fingerprint(standin)
    if all(_label(engine, tag) == wanted for tag in standin.tags):
        return False
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"shop-standin-{standin.directory}-") as context:
        for name, path in _context_files(standin).items():
            shutil.copy2(path, Path(context) / name)
        tags = [arg for tag in standin.tags for arg in ("-t", tag)]
        built = engine.docker("build", "-q", "--build-arg", f"BASE={base}", "--label", f"{LABEL}={wanted}",
                              "--label", f"org.opencontainers.image.description={DESCRIPTION}", *tags, context,
                              check=False)
        if built.returncode != 0:
            raise EngineError(f"the {standin.directory} stand-in did not build:\n{built.stderr[-4000:]}")
    print(f"standins: {', '.join(standin.tags)} built in {time.monotonic() - start:.0f} s", flush=True)
    return True


def ensure_all(engine: Engine, profiles: tuple[str, ...] = ("",)) -> list[str]:
    """Every stand-in the profiles need, built if missing or stale; the tags built."""
    base = ensure_base(engine)
    built = []
    for standin in STANDINS:
        if standin.profile in profiles and ensure(engine, standin, base):
            built += standin.tags
    return built


def main(argv: list[str]) -> int:
    engine = Engine(root_from(argv))
    if not engine.answers():
        print(f"no private engine answers on {engine.root}: `python -m devstack.docker start` first", file=sys.stderr)
        return 1
    ensure_all(engine, ("", "observability"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
