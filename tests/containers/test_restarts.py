"""The shop's containers scaled, loaded and restarted: two checkout and two payment
instances share the work and do nothing twice; the load profile's locust runs headless for
a bounded time with no failure; and after `docker compose down` and `up`, accounts and
orders are still there (volumes) while carts are gone (Redis keeps nothing on disk)."""
from __future__ import annotations

import json
import re

from tests.support import metrics
from tests.support.containers import OrderStream, assert_shipped_once, record, shipped_order
from tests.support.gateway import User, stock_a_product

HTTP_PORTS = {"checkoutservice": 8053, "paymentservice": 8054}


def handled(shop, service: str) -> dict[str, float]:
    """Container -> events its consumers handled and RPCs it served, from its /metrics."""
    work = {}
    for container_id in shop.project.containers(service):
        [info] = json.loads(shop.project.engine.docker("inspect", container_id).stdout)
        address = next(iter(info["NetworkSettings"]["Networks"].values()))["IPAddress"]
        total = 0.0
        for sample in metrics.samples(f"http://{address}:{HTTP_PORTS[service]}"):
            if (sample.name == "messaging_messages_total" and sample.labels.get("outcome") == "handled") or (
                    sample.name == "grpc_server_handled_total"
                    and sample.labels.get("grpc_service", "").startswith("shop.")):
                total += sample.value
        work[info["Name"]] = total
    return work


def test_two_checkout_and_two_payment_instances_share_the_work_and_do_nothing_twice(shop):
    scale = ("--scale", "checkoutservice=2", "--scale", "paymentservice=2")
    shop.project.up(extra=scale)
    try:
        before = {service: handled(shop, service) for service in HTTP_PORTS}
        assert all(len(work) == 2 for work in before.values()), before
        product = stock_a_product(shop.gateway, stock=1000)
        with OrderStream(shop, product["id"]) as stream:
            stream.wait_for(12, timeout=120)
        assert_shipped_once(shop, stream.accepted)
        after = {service: handled(shop, service) for service in HTTP_PORTS}
        did = {service: {name: work[name] - before[service].get(name, 0) for name in work}
               for service, work in after.items()}
        for service, work in did.items():
            assert all(amount > 0 for amount in work.values()), f"{service}: an instance did nothing: {work}"
        record("scale checkout=2 payment=2", {"orders": len(stream.accepted), "refused": len(stream.refused),
                                              "rpcs_and_events_per_instance": did, "duplicates": 0})
    finally:
        shop.project.up(extra=("--scale", "checkoutservice=1", "--scale", "paymentservice=1"))


def test_the_load_profile_runs_locust_headless_with_no_failure(shop):
    shop.compose("--profile", "load", "up", "--detach", "--no-recreate", "locust", timeout=300)
    [container] = shop.project.containers("locust") or shop.compose(
        "--profile", "load", "ps", "--all", "--quiet", "locust").stdout.split()
    code = int(shop.project.engine.docker("wait", container, timeout=300).stdout.strip())
    log = shop.project.engine.docker("logs", container).stderr + shop.project.engine.docker("logs", container).stdout
    shop.compose("--profile", "load", "rm", "--force", "--stop", "locust")
    aggregated = [line for line in log.splitlines() if line.strip().startswith("Aggregated")]
    assert code == 0, log[-4000:]
    assert aggregated, log[-4000:]
    requests, failures = (int(n) for n in re.findall(r"Aggregated\s+(\d+)\s+(\d+)", aggregated[0])[0])
    assert requests > 50 and failures == 0, aggregated
    record("load profile", {"requests": requests, "failures": failures, "summary": aggregated[0].strip()})


def test_after_down_and_up_accounts_and_orders_remain_and_carts_are_gone(shop):
    user, order_id, product = shipped_order(shop.gateway, "restart")
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 2}).status == 200

    shop.project.down()
    assert shop.project.containers("postgres") == []
    shop.project.up()

    again = User(shop.gateway, user.email)
    assert again.login().status == 200, "the account did not survive down and up"
    assert [o["id"] for o in again.call("GET", "/api/v1/orders").json()["orders"]] == [order_id]
    assert again.call("GET", f"/api/v1/orders/{order_id}").json()["order"]["status"] == "ORDER_STATUS_SHIPPED"
    # docs/containers.md: Redis keeps carts in memory only, so a restart empties them.
    assert again.call("GET", "/api/v1/cart").json()["cart"].get("items", []) == []
