import grpc
import pytest

from recommendationservice import config, errors
from recommendationservice.server import STATUS_BY_ERROR
from service_runtime.config import ConfigError, Env
from service_runtime.interceptors import status_for

REQUIRED = {"DATABASE_URL": "postgresql://shop@127.0.0.1:5432/recommendation",
            "AMQP_URL": "amqp://shop:shop@127.0.0.1:5672/"}


def test_defaults_follow_the_port_table_and_a_thirty_day_window():
    loaded = config.load(Env(REQUIRED))
    assert (loaded.runtime.grpc_port, loaded.runtime.http_port) == (50058, 8058)
    assert loaded.catalog_addr == "localhost:50051"
    assert (loaded.popular_days, loaded.bought_lately_days) == (30, 30)


def test_the_windows_can_be_changed():
    loaded = config.load(Env({**REQUIRED, "POPULAR_WINDOW_DAYS": "7", "BOUGHT_LATELY_DAYS": "0"}))
    assert (loaded.popular_days, loaded.bought_lately_days) == (7, 0)


@pytest.mark.parametrize("environ, name", [
    ({}, "DATABASE_URL"),
    ({"DATABASE_URL": REQUIRED["DATABASE_URL"]}, "AMQP_URL"),
    ({**REQUIRED, "POPULAR_WINDOW_DAYS": "0"}, "POPULAR_WINDOW_DAYS"),
    ({**REQUIRED, "BOUGHT_LATELY_DAYS": "a month"}, "BOUGHT_LATELY_DAYS"),
])
def test_bad_configuration_names_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        config.load(Env(environ))


def test_named_errors_map_to_status_codes():
    assert status_for(errors.InvalidArgument("limit must be ..."), STATUS_BY_ERROR) == grpc.StatusCode.INVALID_ARGUMENT
    assert status_for(errors.DependencyUnavailable("catalog"), STATUS_BY_ERROR) == grpc.StatusCode.UNAVAILABLE
