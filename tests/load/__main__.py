"""`make loadtest`: both mixes of locustfile.py against the local shop (`make run`'s stack,
started here with the load-test limits and stopped afterwards when nothing answers on its
website), for LOADTEST_SECONDS with LOADTEST_USERS users, reported in
test-artifacts/loadtest/ (HTML and CSV) and summed up after locust's summary: users,
duration, requests, failures, p50/p95/p99 and the 429 answers by endpoint. Before the run,
the products the shoppers buy are restocked through the admin API, so repeated runs never
sell the shop out."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from devstack import limits, processes
from devstack.stack import DEV_ADMIN_EMAIL, Stack, dev_admin_password
from tests.load import products, signins
from tests.load.run import REPO, run_locust
from tests.load.summary import summary
from tests.support.http import request

USERS = int(os.environ.get("LOADTEST_USERS", "20"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
SPAWN_RATE = float(os.environ.get("LOADTEST_SPAWN_RATE", "5"))
REPORTS = REPO / "test-artifacts" / "loadtest"
RESTOCK_TO = 10_000
# The limits profile (devstack/limits.py) of a stack started here: STACK_LIMITS if set.
START_WITH = os.environ.get(limits.VARIABLE) or limits.LOADTEST.name


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


def restock(api: str, state) -> None:
    """Top up what the shoppers buy, as the stack's first admin (its password is kept in the
    stack directory); skipped with a note when that admin cannot sign in."""
    credentials = {"email": DEV_ADMIN_EMAIL, "password": dev_admin_password(state)}
    status = None
    for _ in range(20):  # a stack just started may not have its identity backend ready (400 at the gateway)
        try:
            login = request("POST", f"{api}/api/v1/login", credentials)
        except OSError as exc:  # the gateway itself went away
            status = f"no answer: {exc}"
        else:
            status = login.status
            if status not in (400, 500, 503):
                break
        time.sleep(1.5)
    if status != 200:
        print(f"note: no restock (admin sign-in: {status}); checkouts may run out of stock")
        return
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for product_id in products.chosen():
        product = request("GET", f"{api}/api/v1/products/{product_id}")
        if product.status == 200 and product.json()["product"].get("stock", 0) < RESTOCK_TO:
            request("PATCH", f"{api}/api/v1/admin/products/{product_id}?update_mask=stock", {"stock": RESTOCK_TO},
                    headers=bearer)


def running_limits(stack: Stack) -> str:
    """The limits profile of the stack already running, as its stack.env records it, with a
    warning when that is not the load test's."""
    env_file = stack.state / "stack.env"
    name = limits.recorded(env_file.read_text()) if env_file.exists() else None
    if name != limits.LOADTEST.name:
        found = f"the `{name}` limits" if name else "limits this load test cannot tell (no STACK_LIMITS in " \
                                                    f"{env_file}), taken as the default ones"
        pacing = signins.PACING[limits.DEFAULT.name]
        print(f"WARNING: the shop already running has {found}. Sign-ins and registrations from this one load "
              f"generator may be limited: this run paces them for those limits ({pacing.sign_ins_per_minute:.0f} "
              f"sign-ins a minute), so with many users the shoppers take minutes to start. For the load test's "
              f"limits, stop that shop and run `make loadtest` again (it then starts one itself), or start it "
              f"with `STACK_LIMITS=loadtest make run`.", flush=True)
    return name if name in signins.PACING else limits.DEFAULT.name


def main() -> int:
    try:
        stack = Stack.from_env()
        limits.chosen({limits.VARIABLE: START_WITH})
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    web = f"http://127.0.0.1:{stack.ports['STACK_WEB_PORT']}"
    api = f"http://127.0.0.1:{stack.ports['STACK_GATEWAY_PORT']}"
    started = log = None
    if _answers(f"{web}/_healthz"):
        profile = running_limits(stack)
    else:
        profile = START_WITH
        print(f"the shop is not running: starting it (`STACK_LIMITS={profile} python -m devstack run`) for this "
              f"load test; the shop's limits: {limits.PROFILES[profile].describe()}")
        REPORTS.mkdir(parents=True, exist_ok=True)
        log = open(REPORTS / "stack.log", "w")
        started = subprocess.Popen([sys.executable, "-m", "devstack", "run"], cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, limits.VARIABLE: profile})
    try:
        _wait_for([f"{web}/_healthz", f"{api}/__health"], 180, started)
        restock(api, stack.state)
        if started is not None and started.poll() is not None:
            raise SystemExit(f"`python -m devstack run` exited with {started.returncode}: see {REPORTS / 'stack.log'}")
        print(f"locust: {USERS} users (website and API shoppers) for {SECONDS} s against {web} and {api}", flush=True)
        outcome = run_locust(["WebsiteShopper", "ApiShopper"], count=USERS, seconds=SECONDS, spawn_rate=SPAWN_RATE,
                             csv_prefix=REPORTS / "loadtest", html=REPORTS / "report.html", web_host=web, api_host=api,
                             env={signins.PROFILE_VARIABLE: profile})
    finally:
        if started is not None:
            print("stopping the shop this load test started")
            processes.interrupt_group(started)
            log.close()
    print(outcome.output.strip())
    print()
    print(summary(outcome, users=USERS, seconds=SECONDS, limits=profile))
    print(f"\nreport: {REPORTS / 'report.html'}; CSV: {REPORTS}/loadtest_*.csv (429s: loadtest_429.csv)")
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
