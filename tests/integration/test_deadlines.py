"""Deadlines end to end, with real services: a call's deadline bounds the calls it makes
(checkout's hop to the catalog gets what PlaceOrder has left, not its own 5 s cap); a
call held up ends at the facade's budget with the service's own 504, inside KrakenD's
timeout; and a call the caller gave up on is logged and counted as DEADLINE_EXCEEDED or
CANCELLED, not OK.

A row lock taken from outside holds the catalog inside its database call, so the timing
does not depend on the machine's speed."""
import json
import time
import uuid

import grpc
import psycopg
import pytest

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import fill_cart, new_shopper, place_request
from tests.support import metrics
from tests.support.gateway import User, stock_a_product
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.services import wait_until

OWN_CAP = 5.0  # CALL_TIMEOUT_SECONDS' default: checkout's cap on each outgoing call


def rpc_lines(service, method: str, since: int) -> list[dict]:
    lines = [json.loads(line) for line in service.log_text().splitlines()[since:] if line.startswith("{")]
    return [line for line in lines if line.get("message") == "rpc" and line.get("method", "").endswith("/" + method)]


def held_row(postgres, product_id: str):
    """A connection holding the product's row lock, as an admin's long edit would."""
    conn = psycopg.connect(postgres.url("catalog_test"))
    conn.execute("SELECT 1 FROM products WHERE id = %s FOR UPDATE", (product_id,))
    return conn


def test_an_outgoing_call_gets_no_more_than_its_caller_has_left(postgres, catalog_service, checkout_service,
                                                                 catalog_channel, cart_channel, checkout_channel):
    product = create_product(catalog_channel, stock=5)
    owner = new_shopper()
    fill_cart(cart_channel, owner, (product.id, 1))
    catalog_lines = len(catalog_service.log_text().splitlines())
    checkout_lines = len(checkout_service.log_text().splitlines())
    hold = held_row(postgres, product.id)
    try:
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as refused:
            checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(place_request(owner), timeout=1.5)
        assert refused.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        wait_until(lambda: rpc_lines(catalog_service, "ReserveStock", catalog_lines), 10,
                   "the catalog's line for ReserveStock")
    finally:
        hold.close()
    [reserve] = rpc_lines(catalog_service, "ReserveStock", catalog_lines)
    # Cut when PlaceOrder's 1.5 s ran out (give or take the clocks' tick and the loop's turn:
    # CI once saw 1500.46 ms), long before checkout's own 5 s cap.
    assert reserve["code"] in ("DEADLINE_EXCEEDED", "CANCELLED") and reserve["duration_ms"] < 2000, reserve
    assert time.monotonic() - started < OWN_CAP
    wait_until(lambda: rpc_lines(checkout_service, "PlaceOrder", checkout_lines), 10, "checkout's line")
    assert rpc_lines(checkout_service, "PlaceOrder", checkout_lines)[0]["code"] == "DEADLINE_EXCEEDED"


def test_a_call_the_caller_cancels_or_gives_up_on_is_counted_with_its_real_status(postgres, catalog_service,
                                                                                   catalog_channel):
    catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    product = create_product(catalog_channel, stock=5)

    def counted(code: str) -> float:
        return metrics.value(catalog_service.http_url, "grpc_server_handled_total",
                             grpc_service="shop.catalog.v1.CatalogService", grpc_method="UpdateProduct",
                             grpc_code=code)

    before = {code: counted(code) for code in ("OK", "DEADLINE_EXCEEDED", "CANCELLED")}
    update = catalog_pb2.UpdateProductRequest(product=catalog_pb2.Product(id=product.id, name=f"Held {uuid.uuid4()}"))
    hold = held_row(postgres, product.id)
    try:
        with pytest.raises(grpc.RpcError) as late:
            catalog.UpdateProduct(update, timeout=0.5)
        assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        wait_until(lambda: counted("DEADLINE_EXCEEDED") == before["DEADLINE_EXCEEDED"] + 1, 10,
                   "the call counted as DEADLINE_EXCEEDED")

        call = catalog.UpdateProduct.future(update, timeout=30)
        time.sleep(0.5)  # it is waiting on the row
        call.cancel()
        wait_until(lambda: counted("CANCELLED") == before["CANCELLED"] + 1, 10, "the call counted as CANCELLED")
    finally:
        hold.close()
    assert counted("OK") == before["OK"], "neither was counted as OK"


def an_admin_patch_held_up(postgres, gateway, catalog_service):
    """A signed-in admin, a product whose row is held (so a PATCH of it waits), and where
    the catalog's log stood."""
    product = stock_a_product(gateway)
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    return admin, product, len(catalog_service.log_text().splitlines()), held_row(postgres, product["id"])


def test_a_slow_call_ends_with_the_services_own_504_inside_the_gateways_timeout(postgres, gateway,
                                                                                 catalog_service):
    """The limits nest (docs/decisions/0011-deadlines.md): the HTTP facade's budget for an
    admin PATCH is 5 s, KrakenD's timeout for it 6 s. So a call held up inside the catalog
    ends at 5 s with the service's DEADLINE_EXCEEDED (504 and its JSON body), passed
    through by the gateway, not with the gateway's bare 500."""
    admin, product, since, hold = an_admin_patch_held_up(postgres, gateway, catalog_service)
    try:
        started = time.monotonic()
        reply = admin.call("PATCH", f"/api/v1/admin/products/{product['id']}", {"stock": 3}, timeout=30)
        took = time.monotonic() - started
        wait_until(lambda: rpc_lines(catalog_service, "UpdateProduct", since), 10, "the catalog's line")
    finally:
        hold.close()
    assert reply.status == 504, (reply.status, reply.body)
    assert reply.json()["error"]["status"] == "DEADLINE_EXCEEDED"
    assert OWN_CAP - 0.2 <= took < OWN_CAP + 1, took
    [update] = rpc_lines(catalog_service, "UpdateProduct", since)
    assert update["code"] == "DEADLINE_EXCEEDED", update


def test_a_client_that_gives_up_does_not_stop_the_call_before_its_budget(postgres, gateway, catalog_service):
    """KrakenD 1.4 does not pass a client's disconnect on (lura's endpoint context comes
    from gin's, which never ends): the facade's call runs to its own budget and ends there,
    as DEADLINE_EXCEEDED, never later (ADR 0011)."""
    admin, product, since, hold = an_admin_patch_held_up(postgres, gateway, catalog_service)
    try:
        with pytest.raises(OSError):  # urllib's timeout (socket.timeout is an OSError)
            admin.call("PATCH", f"/api/v1/admin/products/{product['id']}", {"stock": 3}, timeout=1.5)
        wait_until(lambda: rpc_lines(catalog_service, "UpdateProduct", since), 10, "the catalog's line")
    finally:
        hold.close()
    [update] = rpc_lines(catalog_service, "UpdateProduct", since)
    assert update["code"] == "DEADLINE_EXCEEDED" and update["duration_ms"] < (OWN_CAP + 0.5) * 1000, update
