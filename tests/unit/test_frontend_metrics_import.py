"""prometheus_client chooses its multiprocess mode when it is first imported, so the
website's master process must not import it before `python -m frontend` has set
PROMETHEUS_MULTIPROC_DIR (frontend/metrics.py). Importing the entry point must leave it
unimported."""
import subprocess
import sys

from tests.support.services import REPO


def test_starting_the_website_does_not_import_prometheus_client_before_its_directory_is_set():
    probe = "import sys, frontend.__main__; print('prometheus_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.strip() == "False"
