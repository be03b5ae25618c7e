"""What a service keeps loaded is memory it keeps (docs/performance.md, idle memory).

The cart keeps no data in PostgreSQL, so it must not load psycopg: psycopg-binary brings
its own libpq, OpenSSL and Kerberos libraries, about 10 MB of a process's memory. Every
service's interceptor imports the audit log's module, which therefore imports psycopg only
when an entry is written.

No service loads yoyo: migrations run in a child process at start (service_runtime.schema),
so yoyo and what it loads (sqlparse, importlib_metadata, ~3 MB) leave with it."""
import json
import subprocess
import sys

import pytest

from tests.support.services import REPO

DATABASE_SERVICES = ["catalogservice", "checkoutservice", "emailservice", "identityservice", "paymentservice",
                     "recommendationservice", "shippingservice"]


def loaded(module: str, prefixes: tuple[str, ...]) -> list[str]:
    probe = (f"import json, sys, {module}; "
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {prefixes!r})))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True,
                         timeout=60)
    return json.loads(out.stdout)


def test_the_cart_does_not_load_psycopg():
    assert loaded("cartservice.__main__", ("psycopg",)) == []


@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_no_service_loads_the_migration_tool(service):
    assert loaded(f"{service}.__main__", ("yoyo", "sqlparse")) == []
