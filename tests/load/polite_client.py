"""The shoppers' HTTP client: locust's, except that a GET whose kept-alive connection the
server had just closed is sent again once, as browsers do (stale_connections.py), and a
429 answer is counted (TOO_MANY, by request) and waited out: the shopper sends nothing more until the time the answer asked
for has passed. The 429 itself stays a failed request in locust's statistics
(throttling.py says why). At the end of the run the tally is printed after locust's
summary and written beside its CSVs (`<csv prefix>_429.csv`).

Imports locust (and so gevent's patching of the standard library): only the locustfile
imports this module."""
from __future__ import annotations

import time

from locust import HttpUser, events
from locust.clients import HttpSession, LocustHttpAdapter

from tests.load import throttling
from tests.load.stale_connections import stale_connection_retry

TOO_MANY = throttling.Tally()
_run: dict = {}  # the run's locust Environment, kept by the init listener for the quit one


class PoliteSession(HttpSession):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quiet_until = 0.0  # time.monotonic() before which this user sends nothing

    def request(self, method, url, *args, **kwargs):
        pause = self.quiet_until - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # gevent's sleep under locust: only this shopper waits
        reply = super().request(method, url, *args, **kwargs)
        if reply.status_code == throttling.TOO_MANY_REQUESTS:
            TOO_MANY.count(reply.request_meta["request_type"], reply.request_meta["name"])
            wait = throttling.retry_after_seconds(reply.headers, reply.text, now=time.time())
            self.quiet_until = time.monotonic() + wait
        return reply


class PoliteUser(HttpUser):
    """An HttpUser whose client is a PoliteSession."""
    abstract = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made as HttpUser makes its own client.
        self.client = PoliteSession(base_url=self.host, request_event=self.environment.events.request, user=self,
                                    pool_manager=self.pool_manager)
        self.client.trust_env = False
        # A GET on a kept-alive connection the server had just closed is sent again, once,
        # as a browser does (stale_connections.py).
        retrying = LocustHttpAdapter(pool_manager=self.pool_manager, max_retries=stale_connection_retry())
        self.client.mount("http://", retrying)
        self.client.mount("https://", retrying)


@events.init.add_listener
def _keep_environment(environment, **_):
    _run["environment"] = environment


@events.quit.add_listener
def _report_429s(**_):
    print(TOO_MANY.line(), flush=True)
    options = getattr(_run.get("environment"), "parsed_options", None)
    csv_prefix = getattr(options, "csv_prefix", None)
    if csv_prefix:
        TOO_MANY.write_csv(throttling.csv_path(csv_prefix))
