"""The shop on the local cluster, used as people use it, through 127.0.0.1 only: a shopper
in Chromium on the website's NodePort, an API client through KrakenD's, and grpcurl through
`kubectl port-forward`. Before that: every pod is Ready through its probes (gRPC health for
the services), and the shop's pods run as uid 10001 on a read-only root file system."""
from __future__ import annotations

import json
import subprocess

from devstack.kube import TOOLS_BIN
from tests.support.containers import SHOP_UID, shipped_order
from tests.support.journeys import buy_on_the_website
from tests.support.kube import ARTIFACTS
from tests.support.services import wait_until

SHOP_APPS = ("catalogservice", "cartservice", "checkoutservice", "paymentservice", "shippingservice",
             "emailservice", "identityservice", "recommendationservice", "frontend", "krakend")
GRPC_SERVICES = SHOP_APPS[:8]


def test_every_pod_is_ready_through_its_probes_and_none_restarted(kube_shop):
    pods = kube_shop.pods()
    apps = {pod["metadata"]["labels"]["app.kubernetes.io/name"] for pod in pods}
    assert set(SHOP_APPS) | {"postgres", "redis", "rabbitmq"} <= apps
    for pod in pods:
        (status,) = pod["status"]["containerStatuses"]
        assert status["ready"] and status["restartCount"] == 0, (pod["metadata"]["name"], status)
        (container,) = pod["spec"]["containers"]
        app = pod["metadata"]["labels"]["app.kubernetes.io/name"]
        if app in GRPC_SERVICES:  # Ready means the kubelet's gRPC health probe answered SERVING
            assert "grpc" in container["readinessProbe"] and "grpc" in container["livenessProbe"], app


def test_the_shops_pods_run_as_uid_10001_on_a_read_only_root(kube_shop):
    for app in SHOP_APPS:
        (pod,) = kube_shop.running_pods(app)
        if app == "krakend":  # the gateway's image has no shell or coreutils to exec
            spec = kube_shop.kubectl("get", "pod", pod, "-o", "json").stdout
            context = json.loads(spec)["spec"]["containers"][0]["securityContext"]
            assert context["runAsUser"] == int(SHOP_UID) and context["readOnlyRootFilesystem"], context
            continue
        uid = kube_shop.kubectl("exec", pod, "--", "id", "-u").stdout.strip()
        assert uid == SHOP_UID, (app, uid)
        wrote = kube_shop.kubectl("exec", pod, "--", "touch", "/app-was-writable", check=False)
        assert wrote.returncode != 0 and "Read-only file system" in wrote.stderr, (app, wrote.stderr)
        assert kube_shop.kubectl("exec", pod, "--", "touch", "/tmp/writable").returncode == 0  # its emptyDir


def test_a_shopper_buys_on_the_website_and_watches_the_order_ship(kube_shop, browser):
    buy_on_the_website(browser, kube_shop.website_url, ARTIFACTS)


def test_an_api_client_shops_through_krakend_and_the_order_is_emailed(kube_shop):
    _, order_id, _ = shipped_order(kube_shop.gateway, "kube")
    # Its three emails were made and delivered (to the pod's mail directory: no SMTP server
    # here). The shipped email follows the status change's event, so it may trail the status.
    expected = [["order_received", "sent"], ["payment_confirmed", "sent"], ["shipped", "sent"]]
    seen = []

    def emailed() -> bool:
        seen.append(kube_shop.sql("email", f"SELECT kind, state FROM emails WHERE order_id = '{order_id}' ORDER BY kind"))
        return seen[-1] == expected
    try:
        wait_until(emailed, 30, "the order's three emails", interval=1)
    except TimeoutError:
        raise AssertionError(f"emails: {seen[-1]}\n{kube_shop.consumer_report('emailservice')}") from None


def test_grpcurl_lists_and_calls_a_service_through_a_port_forward(kube_shop):
    with kube_shop.port_forward("service/catalogservice", 50051) as port:
        def grpcurl(*args: str) -> str:  # options first, then the address, then the method
            *options, method = args
            return subprocess.run([str(TOOLS_BIN / "grpcurl"), "-plaintext", *options, f"127.0.0.1:{port}", method],
                                  capture_output=True, text=True, check=True).stdout

        listed = grpcurl("list").split()
        assert {"shop.catalog.v1.CatalogService", "grpc.health.v1.Health"} <= set(listed), listed
        assert json.loads(grpcurl("grpc.health.v1.Health/Check")) == {"status": "SERVING"}
        products = grpcurl("-d", '{"page_size": 3}', "shop.catalog.v1.CatalogService/ListProducts")
        assert len(json.loads(products)["products"]) == 3
