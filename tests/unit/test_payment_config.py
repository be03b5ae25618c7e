import pytest

from paymentservice import config
from service_runtime.config import ConfigError, Env

REQUIRED = {"DATABASE_URL": "postgresql://shop@127.0.0.1:5432/payment", "AMQP_URL": "amqp://shop:shop@127.0.0.1:5672/"}


def test_defaults_follow_the_port_table():
    loaded = config.load(Env(REQUIRED))
    assert (loaded.runtime.grpc_port, loaded.runtime.http_port) == (50054, 8054)
    assert (loaded.database_url, loaded.amqp_url, loaded.db_pool_size) == (
        REQUIRED["DATABASE_URL"], REQUIRED["AMQP_URL"], 10)


@pytest.mark.parametrize("environ, name", [
    ({"AMQP_URL": REQUIRED["AMQP_URL"]}, "DATABASE_URL"),
    ({"DATABASE_URL": REQUIRED["DATABASE_URL"]}, "AMQP_URL"),
    ({**REQUIRED, "DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
])
def test_bad_configuration_names_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        config.load(Env(environ))
