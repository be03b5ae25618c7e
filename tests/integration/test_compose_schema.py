"""docker-compose.yml is valid against the compose specification's JSON schema, checked by
the real check-jsonschema with the schema it ships (no network, no Docker)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_the_compose_file_follows_the_compose_specification():
    result = check(REPO / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_check_does_reject_a_malformed_compose_file(tmp_path):
    """So a pass above means something: a misspelt key and a wrong type are both caught."""
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  web:\n    image: nginx\n    depnds_on: [db]\n    ports: {web: 80}\n")
    result = check(bad)
    assert result.returncode == 1
    assert "depnds_on" in result.stdout and "ports" in result.stdout
