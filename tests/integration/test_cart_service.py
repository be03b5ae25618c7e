"""cartservice over a real gRPC channel against a real Redis and the real catalog:
every RPC and its error cases, concurrent adds, and the HTTP facade and grpcurl."""
import json
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2
from tests.integration.catalog_helpers import create_product
from tests.support.http import request
from tests.support.tools import tool

MAX_LINES = 50


@pytest.fixture
def cart(cart_channel):
    return cart_pb2_grpc.CartServiceStub(cart_channel)


@pytest.fixture
def owner():
    return f"guest:{uuid.uuid4()}"


def items(cart_message):
    return [(i.product_id, i.quantity) for i in cart_message.items]


def error_of(call, request_message):
    with pytest.raises(grpc.RpcError) as info:
        call(request_message, timeout=5)
    return info.value.code(), info.value.details()


def add(cart, owner, product_id, quantity=1):
    return cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=product_id, quantity=quantity), timeout=5).cart


def test_a_new_owner_has_an_empty_cart(cart, owner):
    got = cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart
    assert got.owner_id == owner and list(got.items) == [] and not got.HasField("expire_time")


def test_adding_adds_to_the_quantity_already_there(cart, owner):
    add(cart, owner, "stoneware-mug", 2)
    add(cart, owner, "aviator-sunglasses", 1)
    after = add(cart, owner, "stoneware-mug", 3)
    assert items(after) == [("aviator-sunglasses", 1), ("stoneware-mug", 5)]
    assert after.HasField("expire_time")
    assert items(cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart) == items(after)


def test_set_quantity_changes_adds_and_zero_removes(cart, owner):
    add(cart, owner, "stoneware-mug", 2)
    set_ = lambda p, q: cart.SetItemQuantity(cart_pb2.SetItemQuantityRequest(owner_id=owner, product_id=p, quantity=q), timeout=5).cart  # noqa: E731
    assert items(set_("stoneware-mug", 7)) == [("stoneware-mug", 7)]
    assert items(set_("aviator-sunglasses", 4)) == [("aviator-sunglasses", 4), ("stoneware-mug", 7)]
    assert items(set_("stoneware-mug", 0)) == [("aviator-sunglasses", 4)]
    assert items(set_("canvas-tote-bag", 0)) == [("aviator-sunglasses", 4)]


def test_remove_and_empty_are_quiet_about_what_is_not_there(cart, owner):
    add(cart, owner, "stoneware-mug", 2)
    add(cart, owner, "aviator-sunglasses", 1)
    removed = cart.RemoveItem(cart_pb2.RemoveItemRequest(owner_id=owner, product_id="stoneware-mug"), timeout=5).cart
    assert items(removed) == [("aviator-sunglasses", 1)]
    again = cart.RemoveItem(cart_pb2.RemoveItemRequest(owner_id=owner, product_id="stoneware-mug"), timeout=5).cart
    assert items(again) == [("aviator-sunglasses", 1)]
    cart.EmptyCart(cart_pb2.EmptyCartRequest(owner_id=owner), timeout=5)
    cart.EmptyCart(cart_pb2.EmptyCartRequest(owner_id=owner), timeout=5)
    assert items(cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart) == []


def test_carts_of_different_owners_never_mix(cart, owner):
    other = f"guest:{uuid.uuid4()}"
    add(cart, owner, "stoneware-mug", 2)
    assert items(cart.GetCart(cart_pb2.GetCartRequest(owner_id=other), timeout=5).cart) == []


def test_unknown_and_deleted_products_are_not_found(cart, owner, catalog_channel):
    code, details = error_of(cart.AddItem, cart_pb2.AddItemRequest(owner_id=owner, product_id="no-such-thing", quantity=1))
    assert code == grpc.StatusCode.NOT_FOUND and "no-such-thing" in details
    gone = create_product(catalog_channel)
    from shop.catalog.v1 import catalog_pb2_grpc
    catalog_pb2_grpc.CatalogServiceStub(catalog_channel).DeleteProduct(catalog_pb2.DeleteProductRequest(id=gone.id), timeout=5)
    code, _ = error_of(cart.SetItemQuantity, cart_pb2.SetItemQuantityRequest(owner_id=owner, product_id=gone.id, quantity=1))
    assert code == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "rpc, fields, word",
    [
        ("AddItem", {"product_id": "stoneware-mug", "quantity": 0}, "between 1 and 99"),
        ("AddItem", {"product_id": "stoneware-mug", "quantity": 100}, "between 1 and 99"),
        ("SetItemQuantity", {"product_id": "stoneware-mug", "quantity": -1}, "between 0"),
        ("SetItemQuantity", {"product_id": "stoneware-mug", "quantity": 100}, "between 0"),
        ("AddItem", {"product_id": "Not A Slug", "quantity": 1}, "product_id"),
        ("GetCart", {"owner_id": ""}, "owner_id"),
        ("GetCart", {"owner_id": "a/b"}, "owner_id"),
    ],
)
def test_broken_rules_are_invalid_arguments_saying_which_rule(cart, owner, rpc, fields, word):
    message = getattr(cart_pb2, f"{rpc}Request")(**{"owner_id": owner, **fields})
    code, details = error_of(getattr(cart, rpc), message)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and word in details


def test_a_line_never_passes_99_units(cart, owner):
    add(cart, owner, "stoneware-mug", 97)
    code, details = error_of(cart.AddItem, cart_pb2.AddItemRequest(owner_id=owner, product_id="stoneware-mug", quantity=3))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "has 97, adding 3 would make 100" in details
    assert items(add(cart, owner, "stoneware-mug", 2)) == [("stoneware-mug", 99)]


def test_a_cart_holds_at_most_50_lines(cart, owner, catalog_channel):
    products = [create_product(catalog_channel).id for _ in range(51)]
    for product_id in products[:50]:
        add(cart, owner, product_id)
    code, details = error_of(cart.AddItem, cart_pb2.AddItemRequest(owner_id=owner, product_id=products[50], quantity=1))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "at most 50 different products" in details
    code, _ = error_of(cart.SetItemQuantity, cart_pb2.SetItemQuantityRequest(owner_id=owner, product_id=products[50], quantity=1))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert items(add(cart, owner, products[0]))[0][1] >= 1, "an existing line can still grow"


def test_concurrent_adds_never_lose_an_increment(cart, owner):
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda _: add(cart, owner, "stoneware-mug", 1), range(60)))
    assert items(cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart) == [("stoneware-mug", 60)]


def test_concurrent_adds_near_the_cap_stop_exactly_at_99(cart, owner):
    add(cart, owner, "stoneware-mug", 90)

    def try_add(_):
        try:
            add(cart, owner, "stoneware-mug", 1)
            return True
        except grpc.RpcError:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(try_add, range(20)))
    assert outcomes.count(True) == 9
    assert items(cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart) == [("stoneware-mug", 99)]


def test_merge_adds_quantities_caps_them_says_what_did_not_fit_and_empties_the_source(cart, owner):
    user = f"user-{uuid.uuid4().hex}"
    add(cart, owner, "stoneware-mug", 60)
    add(cart, owner, "aviator-sunglasses", 1)
    add(cart, user, "stoneware-mug", 50)
    add(cart, user, "canvas-tote-bag", 2)
    reply = cart.MergeCarts(cart_pb2.MergeCartsRequest(source_owner_id=owner, target_owner_id=user), timeout=5)
    assert items(reply.cart) == [("aviator-sunglasses", 1), ("canvas-tote-bag", 2), ("stoneware-mug", 99)]
    assert [(i.product_id, i.quantity) for i in reply.not_merged] == [("stoneware-mug", 11)]
    assert items(cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart) == []
    retried = cart.MergeCarts(cart_pb2.MergeCartsRequest(source_owner_id=owner, target_owner_id=user), timeout=5)
    assert items(retried.cart) == items(reply.cart) and not retried.not_merged
    code, _ = error_of(cart.MergeCarts, cart_pb2.MergeCartsRequest(source_owner_id=user, target_owner_id=user))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_the_public_cart_rpcs_over_http(cart_service, owner):
    base = f"{cart_service.http_url}/v1/users/{owner}/cart"
    added = request("POST", f"{base}/items", {"productId": "stoneware-mug", "quantity": 2})
    assert added.status == 200 and added.json()["cart"]["items"] == [{"productId": "stoneware-mug", "quantity": 2}]
    put = request("PUT", f"{base}/items/stoneware-mug", {"quantity": 5})
    assert put.json()["cart"]["items"][0]["quantity"] == 5
    assert request("GET", base).json()["cart"]["items"] == [{"productId": "stoneware-mug", "quantity": 5}]
    assert request("POST", f"{base}/items", {"productId": "ghost-product", "quantity": 1}).status == 404
    too_many = request("POST", f"{base}/items", {"productId": "stoneware-mug", "quantity": 100})
    assert too_many.status == 400 and "between 1 and 99" in too_many.json()["error"]["message"]
    assert request("DELETE", f"{base}/items/stoneware-mug").json()["cart"]["items"] == []
    assert request("DELETE", base).status == 200


def test_grpcurl_lists_and_calls_the_cart(cart_service, owner):
    listed = subprocess.run([tool("grpcurl"), "-plaintext", cart_service.address, "list"], capture_output=True, text=True, timeout=30)
    assert "shop.cart.v1.CartService" in listed.stdout.split()
    called = subprocess.run(
        [tool("grpcurl"), "-plaintext", "-d", json.dumps({"owner_id": owner, "product_id": "stoneware-mug", "quantity": 1}),
         cart_service.address, "shop.cart.v1.CartService/AddItem"],
        capture_output=True, text=True, timeout=30,
    )
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["cart"]["items"] == [{"product_id": "stoneware-mug", "quantity": 1}]


def test_merge_respects_the_50_line_limit_and_answers_the_lines_left_out(cart, owner, catalog_channel):
    user = f"user-{uuid.uuid4().hex}"
    made = [create_product(catalog_channel, stock=5).id for _ in range(MAX_LINES)]
    for product_id in made[:MAX_LINES - 1]:
        add(cart, user, product_id)
    add(cart, owner, "stoneware-mug", 2)
    add(cart, owner, "aviator-sunglasses", 3)
    add(cart, owner, made[0], 4)  # already in the target: adds up, needs no new line
    reply = cart.MergeCarts(cart_pb2.MergeCartsRequest(source_owner_id=owner, target_owner_id=user), timeout=5)
    merged = dict(items(reply.cart))
    assert len(merged) == MAX_LINES and merged[made[0]] == 5
    # one new line fitted (the first in product id order); the other stayed out, reported
    assert merged.get("aviator-sunglasses") == 3 and "stoneware-mug" not in merged
    assert [(i.product_id, i.quantity) for i in reply.not_merged] == [("stoneware-mug", 2)]


def test_subtracting_an_order_takes_exactly_its_units_and_keeps_what_came_meanwhile(cart, owner):
    add(cart, owner, "stoneware-mug", 2)
    add(cart, owner, "canvas-tote-bag", 1)
    add(cart, owner, "aviator-sunglasses", 1)
    ordered = [cart_pb2.CartItem(product_id="stoneware-mug", quantity=2),
               cart_pb2.CartItem(product_id="canvas-tote-bag", quantity=1),
               cart_pb2.CartItem(product_id="vintage-typewriter", quantity=1)]  # no longer in the cart: skipped
    add(cart, owner, "canvas-tote-bag", 2)  # raised while the order was placed
    left = cart.SubtractItems(cart_pb2.SubtractItemsRequest(owner_id=owner, items=ordered), timeout=5).cart
    assert items(left) == [("aviator-sunglasses", 1), ("canvas-tote-bag", 2)]
    assert left.HasField("expire_time")
    code, _ = error_of(cart.SubtractItems, cart_pb2.SubtractItemsRequest(owner_id=owner, items=[
        cart_pb2.CartItem(product_id="stoneware-mug", quantity=1), cart_pb2.CartItem(product_id="stoneware-mug",
                                                                                    quantity=1)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    code, _ = error_of(cart.SubtractItems, cart_pb2.SubtractItemsRequest(owner_id=owner, items=[
        cart_pb2.CartItem(product_id="stoneware-mug", quantity=0)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
