"""`make loadtest`: both mixes of locustfile.py against the local shop (`make run`'s stack,
started here and stopped afterwards when nothing answers on its website), for
LOADTEST_SECONDS with LOADTEST_USERS users, reported in test-artifacts/loadtest/ (HTML and
CSV). Before the run, the products the shoppers buy are restocked through the admin API, so
repeated runs never sell the shop out."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from devstack.stack import DEV_ADMIN_EMAIL, Stack, dev_admin_password
from tests.load import products
from tests.load.run import REPO, run_locust
from tests.support.http import request

USERS = int(os.environ.get("LOADTEST_USERS", "20"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
SPAWN_RATE = float(os.environ.get("LOADTEST_SPAWN_RATE", "5"))
REPORTS = REPO / "test-artifacts" / "loadtest"
RESTOCK_TO = 10_000
ADMIN_CLIENT = {"X-Forwarded-For": "198.18.255.254"}


def _answers(url: str) -> bool:
    try:
        return request("GET", url, timeout=2).status == 200
    except OSError:
        return False


def _wait_for(urls: list[str], seconds: float, stack: subprocess.Popen | None) -> None:
    deadline = time.monotonic() + seconds
    while not all(_answers(url) for url in urls):
        if stack is not None and stack.poll() is not None:
            raise SystemExit(f"`python -m devstack run` exited with {stack.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"the shop did not answer within {seconds:.0f} s: {', '.join(urls)}")
        time.sleep(1)


def _stop(stack: subprocess.Popen) -> None:
    """Stop the stack this run started as Ctrl-C would: honcho stops every server."""
    for sig, grace in ((signal.SIGINT, 60), (signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if stack.poll() is not None:
            return
        os.killpg(stack.pid, sig)
        try:
            stack.wait(grace)
        except subprocess.TimeoutExpired:
            continue


def restock(api: str, state) -> None:
    """Top up what the shoppers buy, as the stack's first admin (its password is kept in the
    stack directory); skipped with a note when that admin cannot sign in."""
    credentials = {"email": DEV_ADMIN_EMAIL, "password": dev_admin_password(state)}
    for _ in range(20):  # a stack just started may not have its identity backend ready (400 at the gateway)
        login = request("POST", f"{api}/api/v1/login", credentials, headers=ADMIN_CLIENT)
        if login.status not in (400, 500, 503):
            break
        time.sleep(1.5)
    if login.status != 200:
        print(f"note: no restock (admin sign-in answered {login.status}); checkouts may run out of stock")
        return
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}", **ADMIN_CLIENT}
    for product_id in products.chosen():
        product = request("GET", f"{api}/api/v1/products/{product_id}")
        if product.status == 200 and product.json()["product"].get("stock", 0) < RESTOCK_TO:
            request("PATCH", f"{api}/api/v1/admin/products/{product_id}?update_mask=stock", {"stock": RESTOCK_TO},
                    headers=bearer)


def main() -> int:
    stack = Stack.from_env()
    web = f"http://127.0.0.1:{stack.ports['STACK_WEB_PORT']}"
    api = f"http://127.0.0.1:{stack.ports['STACK_GATEWAY_PORT']}"
    started = log = None
    if not _answers(f"{web}/_healthz"):
        print("the shop is not running: starting it (`python -m devstack run`) for this load test")
        REPORTS.mkdir(parents=True, exist_ok=True)
        log = open(REPORTS / "stack.log", "w")
        started = subprocess.Popen([sys.executable, "-m", "devstack", "run"], cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for([f"{web}/_healthz", f"{api}/__health"], 180, started)
        restock(api, stack.state)
        print(f"locust: {USERS} users (website and API shoppers) for {SECONDS} s against {web} and {api}")
        outcome = run_locust(["WebsiteShopper", "ApiShopper"], count=USERS, seconds=SECONDS, spawn_rate=SPAWN_RATE,
                             csv_prefix=REPORTS / "loadtest", html=REPORTS / "report.html", web_host=web, api_host=api)
    finally:
        if started is not None:
            print("stopping the shop this load test started")
            _stop(started)
            log.close()
    print(outcome.output.strip())
    print(f"\nreport: {REPORTS / 'report.html'}; CSV: {REPORTS}/loadtest_*.csv")
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
