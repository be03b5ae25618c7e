"""The cart keeps no data in PostgreSQL, so it must not load psycopg: psycopg-binary brings
its own libpq, OpenSSL and Kerberos libraries, about 10 MB of a process's memory
(docs/performance.md, idle memory). Every service's interceptor imports the audit log's
module, which therefore imports psycopg only when an entry is written."""
import subprocess
import sys

from tests.support.services import REPO


def test_the_cart_does_not_load_psycopg():
    probe = "import sys, cartservice.__main__; print(sorted(m for m in sys.modules if m.startswith('psycopg')))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.strip() == "[]"
