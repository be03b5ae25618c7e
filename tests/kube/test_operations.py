"""What Kubernetes is for, each tried on the shop under load: scaling out, replacing pods
that were killed, a rolling update with no failed request, and a configuration change
taken up by a rollout. Orders are placed through KrakenD's NodePort all along; every
accepted order must ship, and nothing may happen twice. What each drill saw goes to
test-artifacts/kube/drills.json."""
from __future__ import annotations

import json
import re
import threading
import time

from prometheus_client.parser import text_string_to_metric_families

from devstack import kubeshop
from tests.load.run import run_locust
from tests.support.containers import OrderStream, assert_captured_and_shipped_once, record
from tests.support.gateway import ADDRESS, GOOD_CARD, signed_in, stock_a_product
from tests.support.http import request
from tests.support.kube import ARTIFACTS
from tests.support.services import wait_until

SCALED = ("checkoutservice", "paymentservice", "catalogservice")


def work_done(shop, pod: str) -> int:
    """The calls a pod served (health checks and reflection aside) and the events its
    consumers finished with, from its own /metrics (grpc_server_handled_total,
    messaging_messages_total)."""
    total = 0.0
    for sample in pod_metrics(shop, pod):
        if sample.name == "grpc_server_handled_total" and not sample.labels["grpc_service"].startswith("grpc."):
            total += sample.value
        elif sample.name == "messaging_messages_total":
            total += sample.value
    return int(total)


def pod_metrics(shop, pod: str) -> list:
    """The samples of a pod's own /metrics, read inside the pod as a person would with
    kubectl exec."""
    spec = json.loads(shop.kubectl("get", "pod", pod, "-o", "json").stdout)["spec"]["containers"][0]
    port = next(p["containerPort"] for p in spec["ports"] if p["name"] == "http")
    script = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics').read().decode())"
    text = shop.kubectl("exec", pod, "--", "python", "-c", script).stdout
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def assert_shipped_once(shop, accepted, timeout: float = 240) -> float:
    """Every accepted order ships, each paid, shipped and emailed once (three emails, sent:
    counted in the email service's database, as no SMTP server runs here). The seconds until
    the last one shipped."""
    shipped_after = assert_captured_and_shipped_once(shop, accepted, timeout)
    ids = "','".join(order_id for _, order_id in accepted)

    def emails():
        return shop.sql("email", f"SELECT order_id, count(*) FROM emails WHERE order_id IN ('{ids}') "
                                 "AND state = 'sent' GROUP BY order_id")
    try:
        wait_until(lambda: len(emails()) == len(accepted) and all(n == "3" for _, n in emails()), 60,
                   "three emails for each order, each once", interval=1)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{shop.consumer_report('emailservice')}") from None
    return shipped_after


def test_scaled_to_three_every_replica_works_and_no_order_is_lost_or_doubled(kube_shop):
    product = stock_a_product(kube_shop.gateway, stock=1000)
    with OrderStream(kube_shop, product["id"]) as stream:
        stream.wait_for(3)
        for deployment in SCALED:
            kube_shop.scale(deployment, 3)
        scaled_at = len(stream.accepted)
        # Clients reconnect (to any replica) when a server closes its connections at their age
        # limit (service_runtime.host.MAX_CONNECTION_AGE): give every replica its chance.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            work = {app: {pod: work_done(kube_shop, pod) for pod in kube_shop.running_pods(app)}
                    for app in SCALED}
            if all(len(pods) == 3 and all(pods.values()) for pods in work.values()):
                break
            time.sleep(5)
        stream.wait_for(3)
    try:
        assert all(len(pods) == 3 and all(pods.values()) for pods in work.values()), work
        shipped_after = assert_shipped_once(kube_shop, stream.accepted)
        record("scaling", {"replicas": 3, "orders": len(stream.accepted), "after_scaling": len(stream.accepted) - scaled_at,
                           "refused": stream.refused, "work_per_pod": work, "duplicates": 0,
                           "last_shipped_after_s": round(shipped_after, 1)}, ARTIFACTS)
    finally:
        for deployment in SCALED:
            kube_shop.scale(deployment, 1)


def test_pods_killed_mid_load_are_replaced_and_every_order_ships_once(kube_shop):
    product = stock_a_product(kube_shop.gateway, stock=1000)
    killed = {}
    with OrderStream(kube_shop, product["id"]) as stream:
        stream.wait_for(3)
        for app in ("cartservice", "shippingservice"):  # a gRPC service, and an event consumer
            (pod,) = kube_shop.running_pods(app)
            kube_shop.kubectl("delete", "pod", pod, "--grace-period=0", "--force")
            killed[app] = pod
        for app, pod in killed.items():
            wait_until(lambda: [p for p in kube_shop.running_pods(app) if p != pod], 120, f"a new {app} pod",
                       interval=1)
            kube_shop.kubectl("rollout", "status", f"deployment/{app}", "--timeout=120s", timeout=150)
        stream.wait_for(5, timeout=120)
    replaced = {app: kube_shop.running_pods(app) for app in killed}
    assert all(pods and killed[app] not in pods for app, pods in replaced.items()), replaced
    shipped_after = assert_shipped_once(kube_shop, stream.accepted)
    record("self_healing", {"killed": killed, "replaced_by": replaced, "orders": len(stream.accepted),
                            "refused": stream.refused, "duplicates": 0,
                            "last_shipped_after_s": round(shipped_after, 1)}, ARTIFACTS)


def test_a_rolling_update_of_the_catalog_under_load_fails_no_request(kube_shop, engine):
    tag = f"rollout-{int(time.time())}"
    engine.docker("tag", kubeshop.shop_image("catalogservice"), kubeshop.shop_image("catalogservice", tag))
    kubeshop.load_images(kube_shop.cluster, engine, "shoptests", tag=tag)
    (old_pod,) = kube_shop.running_pods("catalogservice")

    def roll():
        time.sleep(15)  # the load is under way
        kube_shop.kubectl("set", "image", "deployment/catalogservice",
                          f"catalogservice={kubeshop.shop_image('catalogservice', tag)}")
        kube_shop.kubectl("rollout", "status", "deployment/catalogservice", "--timeout=180s", timeout=200)

    roller = threading.Thread(target=roll)
    roller.start()
    outcome = run_locust(["WebsiteShopper"], count=10, seconds=60, spawn_rate=5, csv_prefix=ARTIFACTS / "rollout",
                         web_host=kube_shop.website_url, api_host=kube_shop.urls["krakend"],
                         env={"LOADTEST_WAIT": "0.5,1.5"})
    roller.join(240)
    (new_pod,) = kube_shop.running_pods("catalogservice")
    image = json.loads(kube_shop.kubectl("get", "pod", new_pod, "-o", "json").stdout)["spec"]["containers"][0]["image"]
    total = outcome.total
    record("rolling_update", {"image": image, "old_pod": old_pod, "new_pod": new_pod, "requests": total.requests,
                              "failures": total.failures, "p95_ms": total.p95_ms}, ARTIFACTS)
    assert new_pod != old_pod and image.endswith(f":{tag}"), (old_pod, new_pod, image)
    assert total.requests > 100 and total.failures == 0, outcome.failures_text() or outcome.output[-3000:]
    assert outcome.exit_code == 0, outcome.output[-3000:]


def test_a_changed_config_map_takes_effect_after_a_rollout_restart(kube_shop):
    deployment = json.loads(kube_shop.kubectl("get", "deployment/frontend", "-o", "json").stdout)
    (config,) = [source["configMapRef"]["name"] for source in deployment["spec"]["template"]["spec"]["containers"][0]
                 ["envFrom"] if "configMapRef" in source]

    def prices() -> set[str]:
        page = request("GET", f"{kube_shop.website_url}/").body.decode()
        return set(re.findall(r"[$€]", page))

    def set_currency(code: str) -> None:
        kube_shop.kubectl("patch", "configmap", config, "--type=merge", "-p",
                          json.dumps({"data": {"DEFAULT_CURRENCY": code}}))

    def restart_frontend() -> None:
        kube_shop.kubectl("rollout", "restart", "deployment/frontend")
        kube_shop.kubectl("rollout", "status", "deployment/frontend", "--timeout=180s", timeout=200)

    assert prices() == {"$"}
    try:
        set_currency("EUR")
        time.sleep(2)
        assert prices() == {"$"}  # a running pod keeps the environment it started with
        restart_frontend()
        # The old pod answers for a moment longer (its preStop pause), while kube-proxy drops it.
        wait_until(lambda: prices() == {"€"}, 30, "euro prices from the restarted pod", interval=0.5)
    finally:
        set_currency("USD")
        restart_frontend()
    wait_until(lambda: prices() == {"$"}, 30, "dollar prices again", interval=0.5)


def test_a_fault_flag_reaches_every_replica_within_seconds(kube_shop):
    """The flags' file is on the claim every pod mounts (docs/decisions/0012): set from the
    website's pod, both payment replicas have it on within 5 s, the API's orders are refused
    with 503 meanwhile, and off again, orders go through."""
    def flags(*args):
        (pod,) = kube_shop.running_pods("frontend")
        return kube_shop.kubectl("exec", pod, "--", "python", "-m", "service_runtime.fault_flags", *args).stdout

    def on_in_every_replica(value: float) -> bool:
        pods = kube_shop.running_pods("paymentservice")
        return len(pods) == 2 and all(
            any(s.name == "shop_fault_flag_active" and s.labels["flag"] == "paymentUnavailable" and s.value == value
                for s in pod_metrics(kube_shop, pod)) for pod in pods)

    product = stock_a_product(kube_shop.gateway, stock=10)
    user = signed_in(kube_shop.gateway, "kube-flags")
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 1}).status == 200
    order = {"currencyCode": "USD", "address": ADDRESS, "email": user.email, "creditCard": GOOD_CARD}
    kube_shop.scale("paymentservice", 2)
    try:
        assert "paymentUnavailable   ON" in flags("on", "paymentUnavailable")
        started = time.monotonic()
        wait_until(lambda: on_in_every_replica(1), 5, "the flag on in both payment replicas", interval=0.2)
        reached = time.monotonic() - started
        refused = user.call("POST", "/api/v1/orders", order)
        assert refused.status == 503 and refused.json()["error"]["status"] == "UNAVAILABLE", refused.body
        flags("reset")
        wait_until(lambda: on_in_every_replica(0), 5, "the flag off in both payment replicas", interval=0.2)
        assert user.call("POST", "/api/v1/orders", order).status == 200
        record("fault flag", {"replicas": 2, "reached_every_replica_within_s": round(reached, 2)}, ARTIFACTS)
    finally:
        flags("reset")
        kube_shop.scale("paymentservice", 1)
