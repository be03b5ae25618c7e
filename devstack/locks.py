"""requirements.runtime.lock: the part of requirements.lock that the shop's processes (the
seven services and the website) need at run time. Their images install it, so they carry
no test or tool package (pytest, playwright, locust, ...).

    python -m devstack.locks           # rewrite requirements.runtime.lock
    python -m devstack.locks --check   # exit 1 if the committed file is stale

It starts from requirements.runtime.txt and follows each installed distribution's declared
requirements (`Requires-Dist`, with the extras asked for and the environment markers
evaluated for this interpreter: CPython 3.11 on Linux, as in the images), then copies the
lines of requirements.lock for what it reached. No network: it reads the metadata of
`.venv`, which must hold exactly requirements.lock (`make venv`). A unit test keeps the
committed file equal to `render()`."""
from __future__ import annotations

import sys
from collections import deque
from importlib import metadata
from pathlib import Path
from typing import Iterable

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
FULL_LOCK = REPO / "requirements.lock"
RUNTIME_REQUIREMENTS = REPO / "requirements.runtime.txt"
RUNTIME_LOCK = REPO / "requirements.runtime.lock"
COMMAND = ".venv/bin/python -m devstack.locks"

HEADER = f"""\
# The shop's run-time dependencies: requirements.runtime.txt and everything it needs, pinned
# exactly as in requirements.lock. The service and website images install this file.
# Made by `{COMMAND}`; do not edit.
"""


class LockError(Exception):
    """The lock, the requirements and the installed distributions disagree."""


def read_requirements(path: Path) -> list[Requirement]:
    """The requirements a requirements file names itself (comments and `-r` lines skipped)."""
    requirements = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirements.append(Requirement(line))
    return requirements


def read_lock(path: Path = FULL_LOCK) -> dict[NormalizedName, str]:
    """Each locked distribution's line (`name==version`, as written), by normalized name."""
    lines = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line.strip())
            if len(requirement.specifier) != 1 or next(iter(requirement.specifier)).operator != "==":
                raise LockError(f"{path.name}: {line!r} is not an exact pin")
            lines[canonicalize_name(requirement.name)] = line.strip()
    return lines


def pinned_version(line: str) -> Version:
    return Version(next(iter(Requirement(line).specifier)).version)


def dependencies(requirement: Requirement) -> list[Requirement]:
    """What the installed distribution declares it needs, for the extras asked for, in this
    interpreter's environment."""
    declared = metadata.distribution(requirement.name).requires or []
    wanted = ("", *sorted(canonicalize_name(e) for e in requirement.extras))
    needed = []
    for text in declared:
        dependency = Requirement(text)
        if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in wanted):
            needed.append(dependency)
    return needed


def closure(top: Iterable[Requirement], lock: dict[NormalizedName, str]) -> set[NormalizedName]:
    """The locked distributions that `top` needs, directly or not."""
    reached: set[NormalizedName] = set()
    visited: set[tuple[NormalizedName, frozenset[str]]] = set()
    queue = deque(top)
    while queue:
        requirement = queue.popleft()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(canonicalize_name(e) for e in requirement.extras))
        if key in visited:
            continue
        visited.add(key)
        if name not in lock:
            raise LockError(f"{requirement} is needed but requirements.lock has no {name}")
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            raise LockError(f"{name} is locked but not installed: run `make venv`") from None
        if installed != pinned_version(lock[name]):
            raise LockError(f"{name} {installed} is installed but {lock[name]} is locked: run `make venv`")
        reached.add(name)
        queue.extend(dependencies(requirement))
    return reached


def render(requirements: Path = RUNTIME_REQUIREMENTS, full_lock: Path = FULL_LOCK) -> str:
    """The runtime lock's text: the full lock's lines for the closure, in the full lock's order."""
    lock = read_lock(full_lock)
    needed = closure(read_requirements(requirements), lock)
    return HEADER + "".join(line + "\n" for name, line in lock.items() if name in needed)


def main(argv: list[str]) -> int:
    try:
        text = render()
    except LockError as exc:
        print(f"devstack.locks: {exc}", file=sys.stderr)
        return 1
    if argv == ["--check"]:
        if RUNTIME_LOCK.exists() and RUNTIME_LOCK.read_text() == text:
            return 0
        print(f"{RUNTIME_LOCK.name} is stale: run `{COMMAND}` and commit it", file=sys.stderr)
        return 1
    if argv:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    RUNTIME_LOCK.write_text(text)
    print(f"{RUNTIME_LOCK.name}: {text.count('==')} of {len(read_lock())} locked distributions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
