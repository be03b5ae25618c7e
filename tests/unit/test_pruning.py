import pytest

from service_runtime import pruning
from service_runtime.config import ConfigError, Env


def test_the_defaults_keep_sent_events_a_day_and_processed_ids_a_week():
    outbox, processed = pruning.messaging_rules(Env({}))
    assert (outbox.table, outbox.keep_seconds) == ("outbox", pruning.DAY)
    assert (processed.table, processed.keep_seconds) == ("processed_events", 7 * pruning.DAY)
    assert "sent_at" in outbox.expired, "an unsent event is never pruned"
    assert pruning.interval(Env({})) == 600.0


def test_processed_ids_must_outlive_every_redelivery():
    with pytest.raises(ConfigError, match="PROCESSED_EVENTS_KEEP_SECONDS must be at least 3600"):
        pruning.messaging_rules(Env({"PROCESSED_EVENTS_KEEP_SECONDS": "60"}))
