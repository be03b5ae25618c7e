"""The service and website images install requirements.runtime.lock, not the whole lock:
it is what `python -m devstack.locks` makes, every pin is requirements.lock's, nothing a
locked distribution needs is missing on any supported Python (CPython 3.11 on Linux, from
Debian 12's 3.11.2 up: redis needs async-timeout before 3.11.3, issue 13), no test or tool
package is in it, and every module the processes import at run time comes from a
distribution in it. tests/integration/test_debian_python.py installs it with Debian's 3.11.2.

The last is shown, not assumed. A subprocess runs as the images do: `python -S` (no
site-packages) with PYTHONPATH the code, genproto and a site-packages that holds links to
the runtime lock's files only, metadata included. It imports every module of the code the
images copy, runs every import statement in it (those inside functions too), and boots what
is loaded by name (gunicorn's worker and logger, yoyo's PostgreSQL backend and its driver,
the OTLP exporter and every instrumentation, the website answering /_healthz). Whatever
needs a distribution outside the runtime lock fails there as it would in an image; only
what it never reaches (code paths that run later, behind a live database or broker) is
left unproven."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devstack import locks
from tests.unit.test_dockerfiles import PYTHON_IMAGES, of

REPO = Path(__file__).resolve().parents[2]
GENPROTO = REPO / "genproto"

# Never in a service or website image, whatever else changes.
TEST_AND_TOOL_PACKAGES = {"pytest", "pytest-timeout", "hypothesis", "playwright", "locust", "schemathesis",
                          "check-jsonschema", "kubernetes-validate", "openapi-spec-validator", "aiosmtpd",
                          "honcho", "grpcio-tools", "jwcrypto"}


def runtime_lock() -> dict[str, str]:
    return locks.read_lock(locks.RUNTIME_LOCK)


def image_code() -> list[Path]:
    """The directories of Python code that the eight images copy (genproto, the runtime, the
    process's own package)."""
    copied = {copy.args.split()[0] for image in PYTHON_IMAGES for copy in of(image, "COPY")[1:]}
    return sorted(REPO / source for source in copied if any((REPO / source).rglob("*.py")))  # not data


def test_the_runtime_lock_is_what_the_generator_makes_now():
    assert locks.RUNTIME_LOCK.read_text() == locks.render(), (
        f"{locks.RUNTIME_LOCK.name} is stale: run `{locks.COMMAND}` and commit it")


def test_requirements_txt_includes_the_runtime_requirements():
    lines = [line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    assert "-r requirements.runtime.txt" in lines


def test_every_pin_is_the_full_locks():
    full = locks.read_lock(locks.FULL_LOCK)
    for name, line in runtime_lock().items():
        assert full.get(name) == line, f"{line} differs from requirements.lock's {full.get(name)}"
    for requirement in locks.read_requirements(locks.RUNTIME_REQUIREMENTS):
        name = canonicalize_name(requirement.name)
        assert requirement.specifier.contains(locks.pinned_version(full[name])), (
            f"requirements.runtime.txt asks {requirement}, requirements.lock has {full[name]}")


def test_nothing_a_runtime_distribution_needs_is_missing():
    lock = runtime_lock()
    pending = list(locks.read_requirements(locks.RUNTIME_REQUIREMENTS))
    seen = set()
    while pending:
        requirement = pending.pop()
        if str(requirement) in seen:
            continue
        seen.add(str(requirement))
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement} is needed but not in the runtime lock"
        assert requirement.specifier.contains(locks.pinned_version(lock[name]), prereleases=True), (
            f"{requirement} is needed but {lock[name]} is locked")
        if installed_here(name):
            pending.extend(locks.dependencies(requirement))
    # And each locked distribution's own requirements, whoever asked for it.
    for name in filter(installed_here, lock):
        for dependency in locks.dependencies(Requirement(name)):
            assert canonicalize_name(dependency.name) in lock, f"{name} needs {dependency}"


def installed_here(name: str) -> bool:
    """Whether .venv holds the distribution: pip skips a lock line whose marker is false for
    this interpreter (async-timeout on 3.11.3 and later), and its metadata is then not here."""
    try:
        metadata.distribution(name)
        return True
    except metadata.PackageNotFoundError:
        assert not locks.applies_here(locks.read_lock()[canonicalize_name(name)]), f"{name}: run `make venv`"
        return False


def marker_environment(python: str) -> dict[str, str]:
    """What pip compares markers with on CPython `python` on Linux (written out here, not
    taken from devstack.locks)."""
    return {**default_environment(), "python_full_version": python, "implementation_version": python,
            "python_version": "3.11", "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}


@pytest.mark.parametrize("python", sorted({"3.11.2", "3.11.3", platform.python_version()}))
def test_the_runtime_lock_gives_pip_all_it_needs_on_each_supported_python(python):
    """Walked as pip on that Python sees it: every requirement whose marker holds there is
    in the runtime lock, on a line whose own marker holds there (so pip installs it)."""
    environment = marker_environment(python)
    lock = runtime_lock()
    pending = [(requirement, "") for requirement in locks.read_requirements(locks.RUNTIME_REQUIREMENTS)]
    seen = set()
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({**environment, "extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        assert name in lock, f"on Python {python}, {requirement} is needed but not in the runtime lock"
        line = Requirement(lock[name])
        assert line.marker is None or line.marker.evaluate({**environment, "extra": ""}), (
            f"on Python {python}, {requirement} is needed but pip skips `{lock[name]}`")
        if installed_here(name):
            for text in metadata.distribution(name).requires or []:
                pending.extend((Requirement(text), e) for e in ("", *requirement.extras))


def test_redis_gets_async_timeout_before_python_3_11_3():
    """Issue 13: redis declares `async-timeout; python_full_version < '3.11.3'`. Debian 12's
    Python, the images' too, is 3.11.2, so both locks hold async-timeout behind that marker,
    and the generator keeps it whichever Python runs it."""
    assert any(str(r.name) == "async-timeout" and str(r.marker) == 'python_full_version < "3.11.3"'
               for r in map(Requirement, metadata.distribution("redis").requires or []))
    line = runtime_lock().get(canonicalize_name("async-timeout"))
    assert line is not None, "requirements.runtime.lock has no async-timeout: redis.asyncio fails on 3.11.2"
    assert line == locks.read_lock()[canonicalize_name("async-timeout")]
    assert line + "\n" in locks.render()
    marker = Requirement(line).marker
    assert marker is not None and marker.evaluate(marker_environment("3.11.2")), line
    assert not marker.evaluate(marker_environment("3.11.3")) and not marker.evaluate(marker_environment("3.11.7"))


def test_markers_are_evaluated_for_every_supported_python():
    assert locks.PYTHONS[0] == locks.LOWEST_PYTHON == "3.11.2"
    assert platform.python_version() in locks.PYTHONS
    assert locks.pythons_where(Requirement("x; python_full_version < '3.11.3'")) == {"3.11.2"}
    assert locks.pythons_where(Requirement("x; python_full_version >= '3.11.9'")) >= {"3.11.9", "3.11.14"}
    assert locks.pythons_where(Requirement("x; python_version < '3.11'")) == set()
    assert locks.pythons_where(Requirement("x; sys_platform == 'win32'")) == set()
    assert locks.pythons_where(Requirement("x; extra == 'a'"), ("", "a")) == set(locks.PYTHONS)


def test_the_full_lock_holds_what_every_package_needs_on_each_supported_python():
    """requirements.lock is a universal resolution: walked from requirements.txt with the
    markers evaluated for every supported Python, nothing is missing and every line it
    reaches applies wherever it is needed; what it does not reach is for another platform."""
    top = [*locks.read_requirements(REPO / "requirements.txt"), *locks.read_requirements(locks.RUNTIME_REQUIREMENTS)]
    full = locks.read_lock(locks.FULL_LOCK)
    reached = locks.closure(top, full)  # raises LockError for a missing distribution or marker
    assert {name: full[name] for name in full.keys() - reached} == {
        name: line for name, line in full.items() if not locks.pythons_where(Requirement(line))}


def test_no_test_or_tool_package_is_in_the_runtime_lock():
    tools = {canonicalize_name(r.name) for r in locks.read_requirements(REPO / "requirements.txt")}
    assert tools, "requirements.txt lists the tools after `-r requirements.runtime.txt`"
    forbidden = tools | {canonicalize_name(n) for n in TEST_AND_TOOL_PACKAGES}
    assert not forbidden & runtime_lock().keys()
    assert len(runtime_lock()) < len(locks.read_lock(locks.FULL_LOCK))


AUDIT = r"""
import ast, importlib, json, os, sys, sysconfig
from importlib import metadata
from pathlib import Path

args = json.loads(sys.stdin.read())
repo, site = Path(args["repo"]), Path(args["site"])
baseline = set(sys.modules)  # the interpreter's own start-up, not the code's
failures, direct = [], set()

def attempt(what, action):
    try:
        action()
    except Exception as exc:
        failures.append([what, f"{type(exc).__name__}: {exc}"])

for root in map(Path, args["code"]):
    top = root.parent if root.name != "genproto" else root
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(top).with_suffix("").parts
        if all(part.isidentifier() for part in parts):  # not a yoyo migration file
            module = ".".join(parts).removesuffix(".__init__")
            attempt(module, lambda: importlib.import_module(module))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                direct.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                direct.add(node.module)
                direct.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                continue
            code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec")
            attempt(f"{path.relative_to(repo)}:{node.lineno}", lambda: exec(code, {}))

def boot():
    # What the processes load by name, not by an import statement.
    from service_runtime import schema, tracing
    from yoyo.backends.base import get_backend_class
    backend = get_backend_class(schema._yoyo_url("postgresql://audit").partition("://")[0])
    importlib.import_module(backend.driver_module)
    tracing.configure_tracing("audit", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
                              instrumentations=tracing.SERVICE_INSTRUMENTATIONS)
    from frontend import config
    from frontend.__main__ import Server
    server = Server(config.load())
    server.cfg.worker_class, server.cfg.logger_class
    app = server.load()  # a worker's boot, tracing and metrics included
    assert app.test_client().get("/_healthz").status_code == 200
    # An instrumentor declines, with a log line only, when it cannot find its library's
    # distribution: the metadata must be there too.
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    for instrumentor in (RedisInstrumentor,):
        assert instrumentor().is_instrumented_by_opentelemetry, f"{instrumentor.__name__} is not on"
    assert "open_span" in [hook.__name__ for hook in app.before_request_funcs[None]], "the website's spans are not on"

attempt("boot", boot)

owner = {os.path.normpath(dist.locate_file(file)): dist.metadata["Name"]
         for dist in metadata.distributions() for file in dist.files or ()}
stdlib = {Path(sysconfig.get_path(key)) for key in ("stdlib", "platstdlib")}
used, elsewhere = {}, []
for name, module in list(sys.modules.items()):
    file = getattr(module, "__file__", None)
    if name in baseline or not file:
        continue
    if os.path.normpath(file) in owner:
        used.setdefault(owner[os.path.normpath(file)], []).append(name)
    elif not any(Path(file).is_relative_to(root) for root in (repo, *stdlib)):
        elsewhere.append([name, file])
imported_directly = {owner.get(os.path.normpath(getattr(sys.modules.get(name), "__file__", None) or ""))
                     for name in direct}
import psycopg
print(json.dumps({"failures": failures, "used": used, "elsewhere": elsewhere,
                  "direct": sorted(filter(None, imported_directly)), "psycopg_impl": psycopg.pq.__impl__}))
"""


def mirror_site_packages(target: Path, names: set[str]) -> None:
    """A site-packages holding just the files (code and metadata) of the named distributions,
    linked from .venv's: what `pip install --no-deps -r requirements.runtime.lock` makes."""
    for dist in metadata.distributions():
        if canonicalize_name(dist.metadata["Name"]) not in names:
            continue
        for file in dist.files or ():
            if ".." in file.parts:  # scripts in bin/
                continue
            link = target / file
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(Path(dist.locate_file(file)).resolve())


@pytest.fixture(scope="module")
def audit():
    """Every module of the images' code imported, in a Python without site-packages (-S) but
    with a mirror of the runtime lock's: the image's view."""
    with tempfile.TemporaryDirectory() as scratch:
        site, metrics_dir = Path(scratch, "site-packages"), Path(scratch, "metrics")
        metrics_dir.mkdir()
        mirror_site_packages(site, set(runtime_lock()))
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("OTEL_", "SHOP_", "PROMETHEUS_", "PSYCOPG_", "PYTHON"))}
        env.update(PYTHONPATH=os.pathsep.join(map(str, (REPO, GENPROTO, site))), PYTHONDONTWRITEBYTECODE="1",
                   PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), SECRET_KEY="audit", LOG_LEVEL="ERROR")
        arguments = {"code": [str(p) for p in image_code()], "repo": str(REPO), "site": str(site)}
        done = subprocess.run([sys.executable, "-S", "-c", AUDIT], input=json.dumps(arguments), env=env, cwd=scratch,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_audit_covers_the_code_every_image_carries():
    assert {p.name for p in image_code()} == {"genproto", "service_runtime", "frontend",
                                              *(image.split("/")[0] for image in PYTHON_IMAGES)}


def test_every_module_the_processes_import_comes_from_the_runtime_lock(audit):
    assert audit["failures"] == [], "these fail with only the runtime lock installed"
    assert audit["elsewhere"] == [], "imported from outside the code, the runtime lock and the standard library"
    assert {canonicalize_name(name) for name in audit["used"]} <= set(runtime_lock())
    # The binary psycopg: the slim images have no libpq for the pure-Python one.
    assert audit["psycopg_impl"] == "binary"


def test_the_runtime_requirements_are_what_the_code_imports_directly(audit):
    listed = {canonicalize_name(r.name) for r in locks.read_requirements(locks.RUNTIME_REQUIREMENTS)}
    direct = {canonicalize_name(name) for name in audit["direct"]}
    assert direct - listed == set(), "imported by the code but only there by chance, through another package"
    assert listed - direct == set(), "listed in requirements.runtime.txt but imported by no process"
