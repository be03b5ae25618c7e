import grpc
import pytest

from service_runtime.config import ConfigError, Env
from service_runtime.interceptors import status_for
from shippingservice import config, errors
from shippingservice.server import STATUS_BY_ERROR

REQUIRED = {"DATABASE_URL": "postgresql://shop@127.0.0.1:5432/shipping", "AMQP_URL": "amqp://shop:shop@127.0.0.1:5672/"}


def test_defaults_follow_the_port_table_and_real_days():
    loaded = config.load(Env(REQUIRED))
    assert (loaded.runtime.grpc_port, loaded.runtime.http_port) == (50055, 8055)
    assert loaded.catalog_addr == "localhost:50051" and loaded.day_seconds == 86400.0


def test_the_day_can_be_shortened_for_demos():
    assert config.load(Env({**REQUIRED, "SHIPPING_DAY_SECONDS": "2.5"})).day_seconds == 2.5


@pytest.mark.parametrize("environ, name", [
    ({}, "DATABASE_URL"),
    ({"DATABASE_URL": REQUIRED["DATABASE_URL"]}, "AMQP_URL"),
    ({**REQUIRED, "SHIPPING_DAY_SECONDS": "0"}, "SHIPPING_DAY_SECONDS"),
    ({**REQUIRED, "SHIPPING_DAY_SECONDS": "soon"}, "SHIPPING_DAY_SECONDS"),
])
def test_bad_configuration_names_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        config.load(Env(environ))


@pytest.mark.parametrize("error, code", [
    (errors.InvalidArgument("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (errors.UnsupportedCurrency("XYZ"), grpc.StatusCode.INVALID_ARGUMENT),
    (errors.ShipmentNotFound("RA473124829GB"), grpc.StatusCode.NOT_FOUND),
    (errors.OrderCancelled("o-1"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.AlreadyShipped("o-1", "RA473124829GB"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.DependencyUnavailable("down"), grpc.StatusCode.UNAVAILABLE),
])
def test_every_named_error_has_its_status(error, code):
    assert status_for(error, STATUS_BY_ERROR) == code


def test_running_out_of_fresh_tracking_ids_is_left_for_the_internal_error_path():
    assert status_for(errors.TrackingIdTaken("x"), STATUS_BY_ERROR) is None
