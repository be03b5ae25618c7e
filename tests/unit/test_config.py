import pytest

from service_runtime.config import ConfigError, Env, RuntimeConfig


def test_defaults_follow_the_port_table():
    config = RuntimeConfig.from_env("catalogservice", Env({}))
    assert (config.grpc_port, config.http_port) == (50051, 8051)
    assert RuntimeConfig.from_env("identityservice", Env({})).grpc_port == 50057


def test_environment_overrides_defaults():
    config = RuntimeConfig.from_env("catalogservice", Env({"GRPC_PORT": "6000", "LOG_LEVEL": "debug"}))
    assert config.grpc_port == 6000 and config.log_level == "DEBUG"


@pytest.mark.parametrize("environ, name", [({"GRPC_PORT": "abc"}, "GRPC_PORT"), ({"HTTP_PORT": "70000"}, "HTTP_PORT")])
def test_bad_values_stop_start_up_naming_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        RuntimeConfig.from_env("catalogservice", Env(environ))


def test_a_missing_required_variable_is_named():
    with pytest.raises(ConfigError, match="DATABASE_URL is required"):
        Env({}).str("DATABASE_URL")


def test_a_flag_reads_true_or_false_and_names_the_variable_otherwise():
    env = Env({"A": "TRUE", "B": "0", "C": "yes", "D": "maybe"})
    assert (env.flag("A"), env.flag("B"), env.flag("C"), env.flag("UNSET"), env.flag("UNSET", True)) == \
        (True, False, True, False, True)
    with pytest.raises(ConfigError, match="D must be true or false"):
        env.flag("D")
