"""Running locust headless as a child process, and reading what it measured from its CSV.
Locust stays out of the caller's process (it patches the standard library with gevent);
`make loadtest`, `make bench` and the smoke test in `make test` all come through here."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.load.throttling import Tally, csv_path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
REPO = LOCUSTFILE.parents[2]
AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class Row:
    """One line of locust's `_stats.csv`: a request name, or "Aggregated" for them all."""
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def succeeded(self) -> int:
        return self.requests - self.failures


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    rows: list[Row]
    output: str
    csv_prefix: Path
    # The 429 answers the shoppers got, by request (polite_client.py writes them).
    too_many: Tally = field(default_factory=Tally)

    def row(self, name: str, method: str | None = None) -> Row | None:
        return next((r for r in self.rows if r.name == name and (method is None or r.method == method)), None)

    @property
    def total(self) -> Row:
        return self.row(AGGREGATED)

    @property
    def task_errors(self) -> int:
        """Exceptions that ended a shopper's task outside a request's own accounting (a
        connection closed under a request whose answer the task then read, say): locust
        lists them apart from failures, in `_exceptions.csv`; they are failures all the same."""
        path = Path(f"{self.csv_prefix}_exceptions.csv")
        if not path.exists():
            return 0
        with open(path, newline="") as file:
            return sum(int(line["Count"]) for line in csv.DictReader(file) if line.get("Count", "").isdigit())

    def failures_text(self) -> str:
        path = Path(f"{self.csv_prefix}_failures.csv")
        return path.read_text() if path.exists() else ""


def _number(text: str) -> float:
    return float(text) if text not in ("", "N/A") else 0.0


def read_stats(csv_prefix: Path) -> list[Row]:
    with open(f"{csv_prefix}_stats.csv", newline="") as file:
        return [Row(line["Type"], line["Name"], int(line["Request Count"]), int(line["Failure Count"]),
                    _number(line["Requests/s"]), _number(line["50%"]), _number(line["95%"]), _number(line["99%"]))
                for line in csv.DictReader(file)]


def run_locust(users: list[str], *, count: int, seconds: int, csv_prefix: Path, web_host: str, api_host: str,
               spawn_rate: float = 10, html: Path | None = None, env: dict[str, str] | None = None,
               timeout: float | None = None) -> Outcome:
    """Run the named user classes headless for `seconds` with `count` users in all, and
    wait for locust to stop them (each finishes its task first, within 10 s)."""
    csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    csv_path(csv_prefix).unlink(missing_ok=True)  # a tally only of this run
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
            "--users", str(count), "--spawn-rate", str(spawn_rate), "--run-time", f"{seconds}s",
            "--stop-timeout", "10", "--csv", str(csv_prefix), "--exit-code-on-error", "1", "--loglevel", "WARNING"]
    if html:
        argv += ["--html", str(html)]
    environment = {**os.environ, "LOADTEST_WEB_HOST": web_host, "LOADTEST_API_HOST": api_host, **(env or {})}
    done = subprocess.run([*argv, *users], cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=timeout or seconds + 60)
    rows = read_stats(csv_prefix) if Path(f"{csv_prefix}_stats.csv").exists() else []
    too_many = Tally.read_csv(csv_path(csv_prefix)) if csv_path(csv_prefix).exists() else Tally()
    return Outcome(done.returncode, rows, done.stdout + done.stderr, csv_prefix, too_many)
