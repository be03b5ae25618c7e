"""Which calls get an access line: all, slow or failed; a failed call always does."""
import pytest

from service_runtime.call_log import CallLog
from service_runtime.config import ConfigError, Env, RuntimeConfig


def test_every_call_by_default():
    assert CallLog().wants(False, 0.1) and CallLog().wants(True, 0.1)


def test_slow_keeps_calls_at_or_above_the_threshold_and_every_failure():
    slow = CallLog("slow", 100.0)
    assert not slow.wants(False, 99.9)
    assert slow.wants(False, 100.0)
    assert slow.wants(True, 1.0)


def test_failed_keeps_only_failures_however_slow_the_rest():
    failed = CallLog("failed", 100.0)
    assert not failed.wants(False, 5000.0)
    assert failed.wants(True, 0.0)


def test_the_setting_comes_from_the_environment_and_a_bad_one_is_named():
    config = RuntimeConfig.from_env("catalogservice", Env({"CALL_LOG": "slow", "CALL_LOG_SLOW_MS": "50"}))
    assert config.call_log == CallLog("slow", 50.0)
    assert RuntimeConfig.from_env("catalogservice", Env({})).call_log == CallLog("all", 250.0)
    with pytest.raises(ConfigError, match="CALL_LOG"):
        RuntimeConfig.from_env("catalogservice", Env({"CALL_LOG": "some"}))
