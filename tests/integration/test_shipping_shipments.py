"""ShipOrder, TrackShipment and CancelShipment over a real gRPC channel against the real
shippingservice and PostgreSQL: one shipment per order whatever the retries, unique
tracking ids, and cancellation that holds against shipping."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import grpc
import pytest

from shippingservice.tracking_ids import build_tracking_id, is_valid_tracking_id
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc

SHIPPED = shipping_pb2.SHIPMENT_STATUS_SHIPPED


@pytest.fixture
def shipping(shipping_channel):
    return shipping_pb2_grpc.ShippingServiceStub(shipping_channel)


def address(**changes) -> shipping_pb2.Address:
    fields = dict(name="Erika Mustermann", address_lines=["Heidestraße 17", "3. OG"], city="Köln",
                  postal_code="51147", country_code="DE")
    fields.update(changes)
    return shipping_pb2.Address(**fields)


ITEMS = [shipping_pb2.ShipmentItem(product_id="stoneware-mug", quantity=2),
         shipping_pb2.ShipmentItem(product_id="linen-apron", quantity=1)]


def new_order_id() -> str:
    return f"order-{uuid.uuid4().hex}"


def ship(stub, order_id, to=None, items=ITEMS):
    return stub.ShipOrder(shipping_pb2.ShipOrderRequest(order_id=order_id, address=to or address(), items=items),
                          timeout=10)


def cancel(stub, order_id, reason="customer changed their mind"):
    return stub.CancelShipment(shipping_pb2.CancelShipmentRequest(order_id=order_id, reason=reason), timeout=10)


def track(stub, tracking_id):
    return stub.TrackShipment(shipping_pb2.TrackShipmentRequest(tracking_id=tracking_id), timeout=10).shipment


def refusal(call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    return info.value.code(), info.value.details()


def test_ship_order_records_a_shipment_with_the_zones_carrier(shipping):
    order_id = new_order_id()
    reply = ship(shipping, order_id, to=address(postal_code=" 51147 ", name="  Erika  Mustermann"))
    shipment = reply.shipment
    assert reply.newly_shipped and shipment.order_id == order_id
    assert is_valid_tracking_id(shipment.tracking_id) and shipment.tracking_id.endswith("US")
    assert shipment.carrier == "Atlantic Parcel Post"
    assert shipment.address == address(postal_code="51147")  # tidied before it was stored
    assert list(shipment.items) == ITEMS
    transit = shipment.estimated_delivery_time.ToDatetime() - shipment.ship_time.ToDatetime()
    assert timedelta(days=5) <= transit <= timedelta(days=10)
    assert shipment.status == SHIPPED and not shipment.HasField("delivery_time")
    assert [(e.status, e.description) for e in shipment.events] == [(SHIPPED, "Handed to Atlantic Parcel Post")]


def test_a_retry_returns_the_first_shipment_unchanged_whatever_it_carries(shipping):
    order_id = new_order_id()
    first = ship(shipping, order_id).shipment
    retry = ship(shipping, order_id, to=address(city="Berlin", postal_code="10117"),
                 items=[shipping_pb2.ShipmentItem(product_id="other", quantity=9)])
    assert not retry.newly_shipped
    assert retry.shipment == first


def test_concurrent_retries_make_one_shipment(shipping):
    order_id = new_order_id()
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda _: ship(shipping, order_id), range(12)))
    assert [r.newly_shipped for r in replies].count(True) == 1
    assert len({r.shipment.tracking_id for r in replies}) == 1
    assert len({r.shipment.SerializeToString(deterministic=True) for r in replies}) == 1


def test_tracking_ids_are_unique_across_many_orders(shipping):
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda _: ship(shipping, new_order_id()), range(200)))
    ids = [r.shipment.tracking_id for r in replies]
    assert len(set(ids)) == 200 and all(is_valid_tracking_id(i) for i in ids)


def test_track_shipment_finds_it_by_tracking_id_even_as_typed_by_a_person(shipping):
    shipped = ship(shipping, new_order_id(), to=address(country_code="US", region="NY", postal_code="10001",
                                                       city="New York")).shipment
    assert shipped.carrier == "Bluebird Parcel"
    typed = " ".join([shipped.tracking_id[:2].lower(), shipped.tracking_id[2:7], shipped.tracking_id[7:]])
    assert track(shipping, typed) == shipped


def test_an_unknown_tracking_id_is_not_found_and_a_malformed_one_is_invalid(shipping):
    unknown = build_tracking_id("ZZ", "12345678", "US")  # no carrier here issues ZZ ids
    code, details = refusal(track, shipping, unknown)
    assert code == grpc.StatusCode.NOT_FOUND and unknown in details
    for typed, message in [("", "tracking_id is required"), ("12345", "must look like"),
                           ("ZZ123456784US", "wrong check digit")]:
        code, details = refusal(track, shipping, typed)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and message in details, details


@pytest.mark.parametrize(
    "order_id, to, items, message",
    [
        ("", address(), ITEMS, "order_id is required"),
        ("o" * 101, address(), ITEMS, "order_id must be at most 100 characters"),
        ("order-x", None, ITEMS, "address is required"),
        ("order-x", address(country_code="XX"), ITEMS, "address.country_code: we do not ship to XX"),
        ("order-x", address(postal_code=""), ITEMS, "address.postal_code is required"),
        ("order-x", address(), [], "items must have at least one line"),
        ("order-x", address(), [shipping_pb2.ShipmentItem(product_id="mug")], "items[0].quantity"),
    ],
)
def test_ship_order_refuses_bad_input(shipping, order_id, to, items, message):
    request = shipping_pb2.ShipOrderRequest(order_id=order_id, address=to, items=items)
    code, details = refusal(shipping.ShipOrder, request, timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and message in details, details


def test_a_cancelled_order_never_ships(shipping):
    order_id = new_order_id()
    assert cancel(shipping, order_id).newly_cancelled
    code, details = refusal(ship, shipping, order_id)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and details == f"order {order_id!r} was cancelled, so it will not ship"


def test_cancelling_twice_is_not_an_error(shipping):
    order_id = new_order_id()
    assert cancel(shipping, order_id).newly_cancelled
    assert not cancel(shipping, order_id, reason="").newly_cancelled


def test_a_shipped_order_cannot_be_cancelled(shipping):
    order_id = new_order_id()
    tracking_id = ship(shipping, order_id).shipment.tracking_id
    code, details = refusal(cancel, shipping, order_id)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert details == f"order {order_id!r} has already shipped (tracking id {tracking_id}) and can no longer be stopped"
    assert track(shipping, tracking_id).order_id == order_id  # still shipped


def test_cancel_refuses_bad_input(shipping):
    for order_id, reason, message in [("", "", "order_id is required"), ("o-1", "r" * 501, "reason must be at most 500")]:
        code, details = refusal(cancel, shipping, order_id, reason)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and message in details


def test_shipping_and_cancelling_at_once_has_exactly_one_winner(shipping):
    def race(order_id):
        with ThreadPoolExecutor(max_workers=2) as pool:
            shipped = pool.submit(lambda: ship(shipping, order_id))
            cancelled = pool.submit(lambda: cancel(shipping, order_id))
            outcomes = []
            for future in (shipped, cancelled):
                try:
                    future.result()
                    outcomes.append("ok")
                except grpc.RpcError as exc:
                    outcomes.append(exc.code())
            return tuple(outcomes)

    outcomes = [race(new_order_id()) for _ in range(20)]
    assert set(outcomes) <= {("ok", grpc.StatusCode.FAILED_PRECONDITION), (grpc.StatusCode.FAILED_PRECONDITION, "ok")}
