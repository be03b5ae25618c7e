"""A private PostgreSQL cluster: initdb, start/stop, databases. PostgreSQL refuses to
run as root, so as root every server command runs as an unprivileged system user."""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from devstack import ports

SYSTEM_USER = "shop-postgres"
SUPERUSER = "shop"


def bindir() -> Path:
    """The newest installed PostgreSQL's binaries (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).parent
    raise FileNotFoundError("PostgreSQL is not installed (run `make deps`)")


def _as_db_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SYSTEM_USER, "--", *argv]


def ensure_system_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
        )


class Cluster:
    def __init__(self, datadir: Path, port: int, host: str = "127.0.0.1"):
        self.datadir = Path(datadir).resolve()
        self.port = port
        self.host = host

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, SYSTEM_USER, SYSTEM_USER)

    def init(self) -> bool:
        """Create the cluster if it does not exist yet; True when it was created.
        Trust authentication is safe only because the server listens on loopback."""
        if (self.datadir / "PG_VERSION").exists():
            return False
        ensure_system_user()
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.datadir.chmod(0o700)
        self._own(self.datadir)
        subprocess.run(
            _as_db_user([str(bindir() / "initdb"), "-D", str(self.datadir), "-U", SUPERUSER,
                         "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        return True

    def _server_options(self) -> list[str]:
        return ["-p", str(self.port), "-c", f"listen_addresses={self.host}", "-c", "unix_socket_directories=",
                "-c", "max_connections=200", "-c", "fsync=off", "-c", "full_page_writes=off"]

    def run_foreground(self) -> int:
        """Run the server as this process's child until SIGTERM or SIGINT, then stop it
        with a fast shutdown and return only once it has exited. (A smart shutdown, what
        SIGTERM asks of PostgreSQL, waits for every client, and a supervisor would report
        it stopped while it still holds its data directory.)"""
        as_user = {"user": SYSTEM_USER, "group": SYSTEM_USER, "extra_groups": []} if os.geteuid() == 0 else {}
        server = subprocess.Popen([str(bindir() / "postgres"), "-D", str(self.datadir), *self._server_options()],
                                  start_new_session=True, **as_user)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: server.send_signal(signal.SIGINT))
        return server.wait()

    def start(self) -> None:
        """Start in the background and wait until it accepts connections."""
        options = " ".join(self._server_options())
        subprocess.run(
            _as_db_user([str(bindir() / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60",
                         "-l", str(self.datadir / "server.log"), "-o", options, "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_db_user([str(bindir() / "pg_ctl"), "-D", str(self.datadir), "-w", "-m", mode, "stop"]),
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def is_running(self) -> bool:
        result = subprocess.run(
            _as_db_user([str(bindir() / "pg_ctl"), "-D", str(self.datadir), "status"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return result.returncode == 0

    def create_databases(self, names: list[str]) -> list[str]:
        """Create the databases that do not exist yet; return the ones created."""
        created = []
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    created.append(name)
        return created


@contextlib.contextmanager
def temporary_cluster(databases: list[str] = (), prefix: str = "shop-pg-"):
    """A running cluster on a free loopback port in a fresh directory, removed afterwards.
    The directory is world-traversable: as root the server runs as SYSTEM_USER."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    port = ports.free_port()
    cluster = Cluster(root / "data", port)
    try:
        cluster.init()
        cluster.start()
        cluster.create_databases(list(databases))
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
