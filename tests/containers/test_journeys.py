"""The shop in containers, used the four ways people use it, through the published ports
only: a shopper in Chromium, an API client through KrakenD, grpcurl inside the compose
network, and the emails in Mailpit. Before that: every container is healthy, the shop's run
as uid 10001, and nothing but the two doors and the tools' loopback UIs is published."""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from jwcrypto import jwk

from devstack.docker import TOOLS
from tests.support.containers import ARTIFACTS, SHOP_SERVICES, SHOP_UID, wait_for_order
from tests.support.gateway import ADDRESS, GOOD_CARD, claims, register, sign, stock_a_product
from tests.support.journeys import buy_on_the_website
from tests.support.services import wait_until



def containers(shop) -> list[dict]:
    ids = shop.compose("ps", "--all", "--quiet").stdout.split()
    return json.loads(shop.project.engine.docker("inspect", *ids).stdout)


def service_of(container: dict) -> str:
    return container["Config"]["Labels"]["com.docker.compose.service"]


def test_every_container_is_healthy_and_the_shops_run_as_uid_10001(shop):
    seen = {}
    for container in containers(shop):
        service, state = service_of(container), container["State"]
        if service == "keys":  # the one-shot key maker: done, and done well
            assert (state["Status"], state["ExitCode"]) == ("exited", 0), state
            continue
        assert state["Status"] == "running" and state["Health"]["Status"] == "healthy", (service, state)
        seen[service] = state["Pid"]
    assert set(SHOP_SERVICES) <= set(seen), seen
    for service in SHOP_SERVICES:
        status = Path(f"/proc/{seen[service]}/status").read_text()
        real, effective, *_ = re.search(r"^Uid:\s+(.*)$", status, re.M)[1].split()
        assert real == effective == SHOP_UID, f"{service} runs as uid {real}"


def test_only_the_website_the_gateway_and_the_tools_loopback_uis_are_published(shop):
    published = {}
    for container in containers(shop):
        for port, bindings in (container["NetworkSettings"]["Ports"] or {}).items():
            for binding in bindings or []:
                published.setdefault(service_of(container), set()).add(
                    (binding["HostIp"], binding["HostPort"], port))
    expected = {service: {(*shop.published[service].split(":"), f"{port}/tcp")}
                for service, port in (("frontend", 8080), ("krakend", 8000), ("mailpit", 8025), ("rabbitmq", 15672))}
    assert published == expected


def test_a_shopper_buys_on_the_website_and_watches_the_order_ship(shop, browser):
    buy_on_the_website(browser, shop.website_url, ARTIFACTS)


def test_an_api_client_shops_through_krakend_and_gets_the_emails(shop):
    gateway = shop.gateway
    product = stock_a_product(gateway, name=f"Container Teapot {uuid.uuid4().hex[:6]}")
    user = register(gateway, "compose")
    assert user.login().status == 200
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 2}).status == 200
    cart = user.call("GET", "/api/v1/cart").json()["cart"]
    assert [(line["productId"], line["quantity"]) for line in cart["items"]] == [(product["id"], 2)]
    placed = user.call("POST", "/api/v1/orders", {"currencyCode": "EUR", "address": ADDRESS, "email": user.email,
                                                 "creditCard": GOOD_CARD})
    assert placed.status == 200, placed.body
    order_id = placed.json()["order"]["id"]
    shipped = wait_for_order(user, order_id, {"ORDER_STATUS_SHIPPED"})
    assert shipped.get("status") == "ORDER_STATUS_SHIPPED" and shipped["trackingId"], shipped

    refresh = user.refresh_token
    assert user.refresh().status == 200 and user.refresh_token != refresh
    assert user.call("POST", "/api/v1/logout").status == 200
    assert user.refresh().status == 401

    # Order received, payment confirmed, shipped: each once, each naming the order.
    def mails():
        return shop.emails_to(user.email)
    wait_until(lambda: len(mails()) >= 3, 60, "the order's three emails", interval=0.5)
    subjects = sorted(message["Subject"] for message in mails())
    assert len(subjects) == 3 and all(order_id in subject for subject in subjects), subjects


def test_the_gateway_image_carries_this_repositorys_validator_fixes(shop):
    """krakend/Dockerfile builds its binary with krakend/build/build.sh: a token naming a key
    id the gateway does not have is a 401 with the JSON error body (the official 1.4.1
    binary answers 500, with no body), and so is an unknown path's 404 (plain text there)."""
    user = register(shop.gateway, "odd-kid")
    assert user.login().status == 200
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    reply = shop.gateway.call("GET", "/api/v1/cart", token=sign(stranger, claims(user.id), kid="retired-key"))
    assert reply.status == 401, (reply.status, reply.body)
    assert reply.json()["error"]["status"] == "UNAUTHENTICATED"
    assert shop.gateway.call("GET", "/api/v1/no-such-path").json()["error"]["status"] == "NOT_FOUND"


def test_grpcurl_lists_and_calls_a_service_inside_the_compose_network(shop):
    engine = shop.project.engine
    grpcurl = ["run", "--rm", "--network", f"{shop.project.project}_default",
               "--volume", f"{TOOLS / 'bin' / 'grpcurl'}:/usr/local/bin/grpcurl:ro", "python:3.11-slim", "grpcurl",
               "-plaintext"]
    listed = engine.docker(*grpcurl, "catalogservice:50051", "list").stdout.split()
    assert {"shop.catalog.v1.CatalogService", "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection"} <= set(listed), listed
    health = engine.docker(*grpcurl, "cartservice:50052", "grpc.health.v1.Health/Check").stdout
    assert json.loads(health) == {"status": "SERVING"}
    reply = engine.docker(*grpcurl, "-d", '{"id": "stoneware-mug"}', "catalogservice:50051",
                          "shop.catalog.v1.CatalogService/GetProduct").stdout
    assert json.loads(reply)["product"]["id"] == "stoneware-mug"


def test_an_operator_lists_the_dead_letter_queues_from_a_service_container(shop):
    """The dead-letter command ships in every service image, with the service's AMQP_URL."""
    listed = shop.project.compose("exec", "-T", "paymentservice", "python", "-m", "service_runtime.dead_letters",
                                  "list", timeout=120)
    assert "payment.checkout-events.dlq: 0 messages" in listed.stdout, listed.stdout + listed.stderr
    assert "email.checkout-events.dlq:" in listed.stdout


def test_a_fault_flag_set_in_one_container_reaches_the_others_and_the_api(shop):
    """The flag file lives on the `fault-flags` volume every service and the website mount
    (docs/decisions/0012): set from the website's container, paymentservice refuses, so the
    API answers 503 for an order, and the shopper's next try works once it is off."""
    def flags(*args):
        done = shop.project.compose("exec", "-T", "frontend", "python", "-m", "service_runtime.fault_flags", *args,
                                    timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    product = stock_a_product(shop.gateway, stock=10)
    user = register(shop.gateway, "flags")
    assert user.login().status == 200
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 1}).status == 200
    order = {"currencyCode": "USD", "address": ADDRESS, "email": user.email, "creditCard": GOOD_CARD}
    assert "paymentUnavailable   ON" in flags("on", "paymentUnavailable")
    def payment_has_it() -> bool:
        script = ("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8054/metrics')"
                  ".read().decode())")
        text = shop.project.compose("exec", "-T", "paymentservice", "python", "-c", script, timeout=60).stdout
        return 'shop_fault_flag_active{flag="paymentUnavailable"} 1.0' in text

    try:
        wait_until(payment_has_it, 20, "paymentservice seeing the flag", interval=0.5)
        refused = user.call("POST", "/api/v1/orders", order)
        assert refused.status == 503 and refused.json()["error"]["status"] == "UNAVAILABLE", refused.body
    finally:
        flags("reset")
    wait_until(lambda: user.call("POST", "/api/v1/orders", order).status == 200, 10, "the order placed", interval=0.5)
    listed = shop.project.compose("exec", "-T", "catalogservice", "python", "-m", "service_runtime.fault_flags",
                                  "show", timeout=120).stdout
    assert "paymentUnavailable   off" in listed, listed
