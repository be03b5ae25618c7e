"""The runtime lock holds on Debian 12's own Python, 3.11.2: the lowest the README names and
the images' Python. The lock was once made on 3.11.7 alone and lacked async-timeout, which
redis needs before 3.11.3, so `import redis.asyncio` failed there (issue 13).

With Debian's /usr/bin/python3.11 (scripts/install-system-packages.sh, run by `make deps`,
installs python3.11-venv, which brings python3.11), a fresh virtual environment gets
`pip install --no-deps -r requirements.runtime.lock`, as the images do, then `pip check`
must find nothing missing, and the entry module of every process must import, with the
code on PYTHONPATH as in the images. It takes about a minute, most of it pip fetching the
wheels (this machine's index answers are not kept in pip's cache)."""
from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import pytest

from devstack import locks
from service_runtime.config import DEFAULT_PORTS

REPO = Path(__file__).resolve().parents[2]
DEBIAN_PYTHON = Path("/usr/bin/python3.11")
pytestmark = pytest.mark.slow  # pip fetches the runtime lock's wheels

PROCESSES = ("catalogservice", "cartservice", "checkoutservice", "paymentservice", "shippingservice",
             "emailservice", "identityservice", "recommendationservice", "frontend")


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment (pip's CA bundle, proxy and index settings included) without what
    would point the Debian Python at .venv or another Python's modules."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PYTHON") and key not in ("VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    if not any(key in env for key in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")):
        bundle = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
        if Path(bundle).is_file():
            env["PIP_CERT"] = bundle
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run(*args: str | Path, timeout: float, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in args], env=clean_environment(**extra), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def debian_venv(tmp_path_factory) -> tuple[Path, str]:
    """A virtual environment of Debian's Python holding the runtime lock, and its version."""
    if not DEBIAN_PYTHON.exists():
        pytest.fail(f"{DEBIAN_PYTHON} is missing: run `make deps` (scripts/install-system-packages.sh installs "
                    "python3.11-venv, which brings Debian's python3.11)")
    version = run(DEBIAN_PYTHON, "-c", "import platform; print(platform.python_version())", timeout=30)
    assert version.returncode == 0, version.stderr
    version = version.stdout.strip()
    assert version.startswith("3.11."), f"{DEBIAN_PYTHON} is Python {version}, not Debian 12's 3.11"
    venv = tmp_path_factory.mktemp("debian-python") / "venv"
    made = run(DEBIAN_PYTHON, "-m", "venv", venv, timeout=120)
    assert made.returncode == 0, (f"Python {version} could not make a venv (python3.11-venv is installed by "
                                  f"`make deps`):\n{made.stdout}{made.stderr}")
    installed = run(venv / "bin/python", "-m", "pip", "install", "--quiet", "--no-deps", "-r", locks.RUNTIME_LOCK,
                    timeout=900)
    assert installed.returncode == 0, (f"pip on Python {version} refused {locks.RUNTIME_LOCK.name}:\n"
                                       f"{installed.stdout[-3000:]}{installed.stderr[-3000:]}")
    return venv, version


def test_the_processes_are_the_eight_python_images():
    assert set(PROCESSES) == {*DEFAULT_PORTS, "frontend"}


def test_pip_check_finds_nothing_missing_on_debians_python(debian_venv):
    venv, version = debian_venv
    checked = run(venv / "bin/python", "-m", "pip", "check", timeout=120)
    assert checked.returncode == 0, (f"with {locks.RUNTIME_LOCK.name} on Debian's Python {version}, pip check "
                                     f"says:\n{checked.stdout}{checked.stderr}")


def test_every_process_imports_on_debians_python(debian_venv, tmp_path):
    venv, version = debian_venv
    modules = ["redis.asyncio", *(f"{process}.__main__" for process in PROCESSES)]
    imported = run(venv / "bin/python", "-c", f"import {', '.join(modules)}", timeout=120, cwd=tmp_path,
                   PYTHONPATH=os.pathsep.join((str(REPO), str(REPO / "genproto"))))
    assert imported.returncode == 0, (f"with only {locks.RUNTIME_LOCK.name} on Debian's Python {version}, "
                                      f"`import {', '.join(modules)}` fails:\n{imported.stderr[-4000:]}")
