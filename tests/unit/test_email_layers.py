"""emailservice's domain stays pure: the modules that decide and render import no
transport, storage or generated protobuf code, and nothing that touches the OS."""
import ast
from pathlib import Path

import pytest

import emailservice

PACKAGE = Path(emailservice.__file__).parent
DOMAIN = ["orders", "notices", "formatting", "rendering", "mime", "records", "mailer", "listing", "errors"]
FORBIDDEN = ("grpc", "google.protobuf", "shop", "psycopg", "psycopg_pool", "aio_pika", "aiormq", "aiosmtplib",
             "os", "prometheus_client", "emailservice.repository", "emailservice.delivery", "emailservice.server",
             "emailservice.consumer")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_modules_import_no_io(module):
    imported = imported_modules(PACKAGE / f"{module}.py")
    assert not {name for name in imported if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}


def test_sql_lives_only_in_the_repository():
    for path in PACKAGE.glob("*.py"):
        if path.name != "repository.py":
            assert "SELECT " not in path.read_text() and "INSERT INTO" not in path.read_text(), path.name
