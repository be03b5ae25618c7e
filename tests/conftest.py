"""Fixtures that start private servers (real PostgreSQL, the real services) for the
session and stop them afterwards. Everything binds to 127.0.0.1 on free ports."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import grpc
import pytest

from devstack.postgres import Cluster
from tests.support.net import free_port
from tests.support.services import ServiceProcess


def _world_readable_tmpdir(prefix: str) -> Path:
    # PostgreSQL runs as an unprivileged user when the tests run as root, so its data
    # directory must live where that user can reach it (pytest's tmp dirs are 0700).
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL cluster for the whole test session."""
    root = _world_readable_tmpdir("shop-test-pg-")
    cluster = Cluster(root / "data", free_port())
    cluster.init()
    cluster.start()
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def catalog_service(postgres, artifacts_dir):
    """catalogservice as a real process over its own fresh database."""
    postgres.create_databases(["catalog_test"])
    service = ServiceProcess(
        "catalogservice", {"DATABASE_URL": postgres.url("catalog_test")}, artifacts_dir / "catalogservice.log"
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def catalog_channel(catalog_service):
    with grpc.insecure_channel(catalog_service.address) as channel:
        yield channel
