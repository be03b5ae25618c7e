"""requirements.runtime.lock: the part of requirements.lock that the shop's processes (the
eight services and the website) need at run time. Their images install it, so they carry
no test or tool package (pytest, playwright, locust, ...).

    python -m devstack.locks           # rewrite requirements.runtime.lock
    python -m devstack.locks --check   # exit 1 if the committed file is stale

It starts from requirements.runtime.txt and follows each installed distribution's declared
requirements (`Requires-Dist`, with the extras asked for), then copies the lines of
requirements.lock for what it reached, environment markers included. A requirement with a
marker is followed when the marker holds on any supported Python: CPython 3.11 on Linux,
from Debian 12's 3.11.2 up (the images' Python too), not only on the one running this. So
redis's `async-timeout; python_full_version < '3.11.3'` is kept, and its line in the lock
carries that marker: pip installs it on 3.11.2 and skips it on 3.11.7. Every line's marker
is checked to hold wherever the runtime needs the distribution.

No network: it reads the metadata of `.venv`, which must hold exactly requirements.lock as
pip installs it for this interpreter (`make venv`). A distribution whose lock line does not
apply here (async-timeout, when `.venv` is 3.11.3 or later) is not installed, so its own
requirements cannot be read: tests/integration/test_debian_python.py installs the runtime
lock with Debian's 3.11.2 and runs `pip check`. A unit test keeps the committed file equal
to `render()`."""
from __future__ import annotations

import functools
import sys
from collections import deque
from importlib import metadata
from pathlib import Path
from typing import Iterable

from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
FULL_LOCK = REPO / "requirements.lock"
RUNTIME_REQUIREMENTS = REPO / "requirements.runtime.txt"
RUNTIME_LOCK = REPO / "requirements.runtime.lock"
COMMAND = ".venv/bin/python -m devstack.locks"

# The supported Pythons: every CPython 3.11 release from Debian 12's 3.11.2 on (3.11 reaches
# its end of life long before a 3.11.30). Markers are evaluated for each.
LOWEST_PYTHON = "3.11.2"
PYTHONS = tuple(f"3.11.{patch}" for patch in range(2, 31))

HEADER = f"""\
# The shop's run-time dependencies: requirements.runtime.txt and everything it needs on any
# supported Python (CPython 3.11 on Linux, from 3.11.2 up), pinned exactly as in
# requirements.lock, markers included. The service and website images install this file.
# Made by `{COMMAND}`; do not edit.
"""


class LockError(Exception):
    """The lock, the requirements and the installed distributions disagree."""


def environment(python: str) -> dict[str, str]:
    """The marker variables of CPython `python` on Linux (on this machine's processor)."""
    return {**default_environment(), "implementation_name": "cpython", "implementation_version": python,
            "platform_python_implementation": "CPython", "python_full_version": python,
            "python_version": ".".join(python.split(".")[:2]), "os_name": "posix", "sys_platform": "linux",
            "platform_system": "Linux"}


@functools.lru_cache(maxsize=None)
def _pythons_where(marker: str, extra: str) -> frozenset[str]:
    parsed = Marker(marker)
    return frozenset(python for python in PYTHONS if parsed.evaluate({**environment(python), "extra": extra}))


def pythons_where(requirement: Requirement, extras: Iterable[str] = ("",)) -> frozenset[str]:
    """The supported Pythons on which `requirement` applies (its marker holds), for any of
    the extras asked for ("" for none)."""
    if requirement.marker is None:
        return frozenset(PYTHONS)
    return frozenset().union(*(_pythons_where(str(requirement.marker), extra) for extra in extras))


def applies_here(line: str) -> bool:
    """Whether pip, run by this interpreter, installs a lock line (its marker holds here)."""
    marker = Requirement(line).marker
    return marker is None or marker.evaluate({"extra": ""})


def read_requirements(path: Path) -> list[Requirement]:
    """The requirements a requirements file names itself (comments and `-r` lines skipped)."""
    requirements = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirements.append(Requirement(line))
    return requirements


def read_lock(path: Path = FULL_LOCK) -> dict[NormalizedName, str]:
    """Each locked distribution's line (`name==version`, with its marker if any, as written),
    by normalized name."""
    lines: dict[NormalizedName, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line.strip())
            if len(requirement.specifier) != 1 or next(iter(requirement.specifier)).operator != "==":
                raise LockError(f"{path.name}: {line!r} is not an exact pin")
            name = canonicalize_name(requirement.name)
            if name in lines:
                raise LockError(f"{path.name}: {name} is pinned twice (a forked resolution), which {COMMAND} "
                                f"cannot split")
            lines[name] = line.strip()
    return lines


def pinned_version(line: str) -> Version:
    return Version(next(iter(Requirement(line).specifier)).version)


def needs(requirement: Requirement) -> list[tuple[Requirement, frozenset[str]]]:
    """What the installed distribution declares it needs, for the extras asked for, each with
    the supported Pythons on which it applies (those that apply on none are left out)."""
    declared = metadata.distribution(requirement.name).requires or []
    wanted = ("", *sorted(canonicalize_name(e) for e in requirement.extras))
    found = []
    for text in declared:
        dependency = Requirement(text)
        pythons = pythons_where(dependency, wanted)
        if pythons:
            found.append((dependency, pythons))
    return found


def dependencies(requirement: Requirement) -> list[Requirement]:
    """What the installed distribution declares it needs, for the extras asked for, on any
    supported Python."""
    return [dependency for dependency, _ in needs(requirement)]


def closure(top: Iterable[Requirement], lock: dict[NormalizedName, str]) -> set[NormalizedName]:
    """The locked distributions that `top` needs, directly or not, on any supported Python."""
    needed: dict[NormalizedName, set[str]] = {}
    visited: dict[tuple[NormalizedName, frozenset[str]], frozenset[str]] = {}
    queue = deque((requirement, pythons_where(requirement)) for requirement in top)
    while queue:
        requirement, pythons = queue.popleft()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(canonicalize_name(e) for e in requirement.extras))
        new = pythons - visited.get(key, frozenset())
        if not new:
            continue
        visited[key] = visited.get(key, frozenset()) | new
        if name not in lock:
            raise LockError(f"{requirement} is needed but requirements.lock has no {name}")
        needed.setdefault(name, set()).update(new)
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            if applies_here(lock[name]):
                raise LockError(f"{name} is locked but not installed: run `make venv`") from None
            continue  # pip skips its line on this Python, so its metadata is not here
        if installed != pinned_version(lock[name]):
            raise LockError(f"{name} {installed} is installed but {lock[name]} is locked: run `make venv`")
        queue.extend((dependency, new & where) for dependency, where in needs(requirement))
    for name, pythons in needed.items():
        missing = pythons - pythons_where(Requirement(lock[name]))
        if missing:
            lowest = min(missing, key=Version)
            raise LockError(f"the runtime needs {name} on Python {lowest}, where requirements.lock's "
                            f"`{lock[name]}` does not apply")
    return set(needed)


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
