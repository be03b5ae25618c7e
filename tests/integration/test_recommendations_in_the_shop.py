"""recommendationservice in the session's shop: it learns from orders placed through the
real checkout (its queue bound to checkout.events beside the others), and the public API
serves its suggestions through KrakenD."""
from shop.checkout.v1 import checkout_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import fill_cart, new_shopper, place_request, wait_for_status
from tests.integration.recommendation_helpers import TOGETHER, recommended, wait_for_recommendations


def test_an_order_placed_through_checkout_teaches_what_sells_together(
        checkout_service, recommendation_service, recommendation_channel, checkout_channel, cart_channel,
        catalog_channel):
    mug, saucer = (create_product(catalog_channel, stock=20).id for _ in range(2))
    assert (saucer, TOGETHER) not in recommended(recommendation_channel, mug, limit=20)
    shopper = new_shopper()
    fill_cart(cart_channel, shopper, (mug, 1), (saucer, 2))
    order = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(place_request(shopper),
                                                                               timeout=20).order
    wait_for_status(checkout_channel, shopper, order.id, "SHIPPED", timeout=60)
    wait_for_recommendations(recommendation_channel, lambda got: got[:1] == [(saucer, TOGETHER)], mug)
    assert recommended(recommendation_channel, saucer, limit=1) == [(mug, TOGETHER)]
    # The shopper has just bought both: neither is suggested to them.
    assert {p for p, _ in recommended(recommendation_channel, mug, user_id=shopper, limit=20)}.isdisjoint({saucer})


def test_the_public_api_serves_recommendations_through_the_gateway(
        gateway, checkout_service, recommendation_channel, checkout_channel, cart_channel, catalog_channel):
    lamp, bulb = (create_product(catalog_channel, stock=20, categories=("home",)).id for _ in range(2))
    shopper = new_shopper()
    fill_cart(cart_channel, shopper, (lamp, 1), (bulb, 1))
    order = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(place_request(shopper),
                                                                               timeout=20).order
    wait_for_status(checkout_channel, shopper, order.id, "SHIPPED", timeout=60)
    wait_for_recommendations(recommendation_channel, lambda got: got[:1] == [(bulb, TOGETHER)], lamp)

    reply = gateway.call("GET", f"/api/v1/products/{lamp}/recommendations?limit=2")
    assert reply.status == 200, reply
    first = reply.json()["recommendations"][0]
    assert (first["product"]["id"], first["reason"]) == (bulb, TOGETHER)
    assert first["product"]["name"] and first["product"]["price"]["currencyCode"] == "USD"
    assert len(reply.json()["recommendations"]) == 2
    # The gateway passes `limit` only: a user id a client sends never reaches the service
    # (asked directly with it, the service leaves out the bulb this shopper just bought).
    assert (bulb, TOGETHER) not in recommended(recommendation_channel, lamp, user_id=shopper, limit=20)
    spying = gateway.call("GET", f"/api/v1/products/{lamp}/recommendations?limit=1&user_id={shopper}")
    assert spying.status == 200 and spying.json()["recommendations"][0]["product"]["id"] == bulb, spying
    unknown = gateway.call("GET", "/api/v1/products/no-such-product/recommendations")
    assert unknown.status == 200 and len(unknown.json()["recommendations"]) <= 4

    bad = gateway.call("GET", f"/api/v1/products/{lamp}/recommendations?limit=50")
    assert bad.status == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT", bad
    assert "limit must be between 1 and 20" in bad.json()["error"]["message"]
    malformed = gateway.call("GET", "/api/v1/products/Not%20An%20Id/recommendations")
    assert malformed.status == 400 and "is not a catalog product id" in malformed.json()["error"]["message"]
    guarded = gateway.call("GET", "/api/v1/products/a%3Fb/recommendations")
    assert guarded.status == 400, guarded  # the path guard every endpoint with a path parameter has
