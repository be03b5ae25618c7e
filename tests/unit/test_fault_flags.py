"""The fault flag file and its command (service_runtime/fault_flags.py), and the pure part
of paymentservice's flags. Evaluation through OpenFeature's flagd provider, and a change
reaching running replicas, are tested against real services in
tests/integration/test_fault_flags_payment.py."""
import json

import pytest

from paymentservice import faults
from service_runtime import fault_flags
from service_runtime.fault_flags import BY_NAME, FLAGS

OFF = {flag.name: flag.off for flag in FLAGS}


def test_every_flag_is_off_in_a_file_that_does_not_exist(tmp_path):
    assert fault_flags.read(tmp_path / "flags.json") == OFF


def test_a_change_keeps_the_other_flags_and_the_file_is_flagds_format(tmp_path):
    path = tmp_path / "shared" / "flags.json"
    fault_flags.write(path, {"paymentFailure": 0.25})
    fault_flags.write(path, {"paymentUnavailable": True})
    assert fault_flags.read(path) == {**OFF, "paymentFailure": 0.25, "paymentUnavailable": True}
    document = json.loads(path.read_text())
    assert document["$schema"] == "https://flagd.dev/schema/v0/flags.json"
    assert document["flags"]["paymentFailure"] == {
        "state": "ENABLED", "variants": {"off": 0.0, "on": 0.25}, "defaultVariant": "on",
        "metadata": {"description": BY_NAME["paymentFailure"].meaning}}
    fault_flags.write(path, {"paymentFailure": 0.0})
    assert json.loads(path.read_text())["flags"]["paymentFailure"]["defaultVariant"] == "off"
    assert [p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")] == ["flags.json"]


def test_a_disabled_flag_in_a_hand_written_file_is_off(tmp_path):
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"flags": {"paymentUnavailable": {
        "state": "DISABLED", "variants": {"off": False, "on": True}, "defaultVariant": "on"}}}))
    assert fault_flags.read(path)["paymentUnavailable"] is False


@pytest.mark.parametrize("name, text, value", [
    ("paymentFailure", "0.5", 0.5), ("paymentFailure", "1", 1.0), ("paymentUnavailable", "on", True),
    ("paymentUnavailable", "false", False), ("catalogLatency", "250", 250), ("shippingSlowdown", "0", 0),
])
def test_values_from_the_command_line_are_the_flags_type(name, text, value):
    parsed = BY_NAME[name].parse(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("name, text", [("paymentFailure", "2"), ("paymentFailure", "-0.1"),
                                        ("paymentFailure", "half"), ("paymentUnavailable", "maybe"),
                                        ("catalogLatency", "-1"), ("catalogLatency", "60001"),
                                        ("shippingSlowdown", "1.5")])
def test_a_value_the_flag_cannot_take_is_refused(name, text):
    with pytest.raises(ValueError):
        BY_NAME[name].parse(text)


def test_the_command_sets_shows_and_resets(tmp_path, capsys):
    path = str(tmp_path / "flags.json")
    assert fault_flags.main(["--file", path, "set", "paymentFailure", "0.3"]) == 0
    assert fault_flags.main(["--file", path, "on", "paymentUnavailable"]) == 0
    out = capsys.readouterr().out
    assert "paymentFailure       ON (0.3)" in out and "paymentUnavailable   ON (true)" in out
    assert fault_flags.main(["--file", path, "reset"]) == 0
    assert "ON" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        fault_flags.main(["--file", path, "set", "paymentFailure", "3"])
    assert refused.value.code == 2
    assert "a share from 0 to 1" in capsys.readouterr().err


def test_the_command_needs_a_file(monkeypatch, capsys):
    monkeypatch.delenv(fault_flags.FLAGS_FILE_ENV, raising=False)
    with pytest.raises(SystemExit):
        fault_flags.main(["show"])
    assert "FLAGS_FILE" in capsys.readouterr().err


def test_without_configuration_every_flag_is_off_and_the_issuer_never_fails():
    assert all(fault_flags.value(flag.name) == flag.off for flag in FLAGS)
    assert not faults.issuer_fails(draw=lambda: 0.0)


def test_the_issuer_fails_for_the_share_the_flag_gives(monkeypatch):
    monkeypatch.setitem(fault_flags._values, "paymentFailure", 0.3)  # noqa: SLF001
    assert faults.issuer_fails(draw=lambda: 0.29)
    assert not faults.issuer_fails(draw=lambda: 0.3)
