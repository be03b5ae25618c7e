"""A cart's life in Redis: it expires after its time to live, every write starts that
time again, nothing of it outlives it, and the service rides out Redis going away."""
import time
import uuid

import grpc
import pytest
import redis
from grpc_health.v1 import health_pb2

from devstack import redis as devstack_redis
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from tests.support.http import request
from tests.support.services import ServiceProcess, health_status, wait_until

TTL = 3  # seconds


@pytest.fixture
def own_redis():
    with devstack_redis.temporary_server() as server:
        yield server


@pytest.fixture
def short_lived_carts(own_redis, catalog_service, tmp_path):
    service = ServiceProcess(
        "cartservice",
        {"REDIS_URL": own_redis.url, "CATALOG_ADDR": catalog_service.address, "CART_TTL_SECONDS": str(TTL)},
        tmp_path / "cart.log",
    ).start()
    yield service
    service.stop()


def test_a_cart_expires_its_ttl_after_the_last_write_and_leaves_nothing(own_redis, short_lived_carts):
    cart = cart_pb2_grpc.CartServiceStub(grpc.insecure_channel(short_lived_carts.address))
    raw = redis.Redis.from_url(own_redis.url, decode_responses=True)
    owner = f"guest:{uuid.uuid4()}"
    add = lambda p: cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=p, quantity=1), timeout=5)  # noqa: E731

    add("stoneware-mug")
    assert 0 < raw.pttl(f"cart:{owner}") <= TTL * 1000
    time.sleep(TTL * 0.6)
    add("aviator-sunglasses")  # a write: the whole cart gets its full time again
    assert raw.pttl(f"cart:{owner}") > TTL * 1000 * 0.8
    time.sleep(TTL * 0.6)
    got = cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart
    assert [i.product_id for i in got.items] == ["aviator-sunglasses", "stoneware-mug"], "still alive: refreshed"
    assert raw.pttl(f"cart:{owner}") < TTL * 1000 * 0.6, "a read does not refresh"

    # Every key the cart service wrote is the cart itself, with an expiry.
    for key in raw.scan_iter("*"):
        assert key.startswith("cart:") and raw.pttl(key) > 0, key

    wait_until(lambda: raw.exists(f"cart:{owner}") == 0, TTL * 2, "the cart expiring")
    assert list(cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart.items) == []
    assert list(raw.scan_iter("*")) == [], "nothing of an expired cart is left"


def test_every_kind_of_write_refreshes_the_ttl(own_redis, short_lived_carts):
    cart = cart_pb2_grpc.CartServiceStub(grpc.insecure_channel(short_lived_carts.address))
    raw = redis.Redis.from_url(own_redis.url, decode_responses=True)
    owner, user = f"guest:{uuid.uuid4()}", f"user-{uuid.uuid4().hex}"
    cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id="stoneware-mug", quantity=2), timeout=5)
    cart.AddItem(cart_pb2.AddItemRequest(owner_id=user, product_id="canvas-tote-bag", quantity=1), timeout=5)
    writes = [
        lambda: cart.SetItemQuantity(cart_pb2.SetItemQuantityRequest(owner_id=owner, product_id="stoneware-mug", quantity=3), timeout=5),
        lambda: cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id="aviator-sunglasses", quantity=1), timeout=5),
        lambda: cart.RemoveItem(cart_pb2.RemoveItemRequest(owner_id=owner, product_id="aviator-sunglasses"), timeout=5),
    ]
    for write in writes:
        time.sleep(1)
        write()
        assert raw.pttl(f"cart:{owner}") > TTL * 1000 * 0.8
    time.sleep(1)
    cart.MergeCarts(cart_pb2.MergeCartsRequest(source_owner_id=owner, target_owner_id=user), timeout=5)
    assert raw.pttl(f"cart:{user}") > TTL * 1000 * 0.8 and raw.exists(f"cart:{owner}") == 0


def test_redis_down_means_not_serving_and_fast_unavailable_and_it_recovers(own_redis, short_lived_carts):
    address = short_lived_carts.address
    cart = cart_pb2_grpc.CartServiceStub(grpc.insecure_channel(address))
    owner = f"guest:{uuid.uuid4()}"
    cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id="stoneware-mug", quantity=1), timeout=5)

    own_redis.stop()
    wait_until(lambda: health_status(address) == health_pb2.HealthCheckResponse.NOT_SERVING, 10, "NOT_SERVING")
    assert request("GET", f"{short_lived_carts.http_url}/healthz").json()["checks"] == {"redis": "failing"}
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=10)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started < 3, "fails fast"
    http = request("GET", f"{short_lived_carts.http_url}/v1/users/{owner}/cart")
    assert http.status == 503 and http.json()["error"]["status"] == "UNAVAILABLE"
    # No internal detail reaches the caller: a stable message and the request id; the
    # detail (Redis's address) is in the service's log.
    rid = http.headers["X-Request-Id"]
    for message in (info.value.details(), http.json()["error"]["message"]):
        assert str(own_redis.port) not in message and "127.0.0.1" not in message and "Error" not in message
        assert message.startswith("the service cannot reach what it depends on right now")
    assert f"(request id {rid})" in http.json()["error"]["message"]
    wait_until(lambda: str(own_redis.port) in short_lived_carts.log_text(), 5, "the detail in the log")

    own_redis.start()  # same port, empty (the private Redis keeps nothing on disk)
    wait_until(lambda: health_status(address) == health_pb2.HealthCheckResponse.SERVING, 15, "SERVING again")
    added = cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id="stoneware-mug", quantity=2), timeout=5).cart
    assert [(i.product_id, i.quantity) for i in added.items] == [("stoneware-mug", 2)]
    assert short_lived_carts.process.poll() is None, "no restart was needed"
