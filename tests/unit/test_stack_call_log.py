"""`make run` writes access lines for slow and failed calls only, unless CALL_LOG says
otherwise (devstack/stack.py: thirteen processes share one terminal through honcho)."""
from devstack.stack import Stack
from service_runtime.call_log import MODES


def test_the_local_stack_logs_slow_and_failed_calls_unless_told(tmp_path):
    stack = Stack.from_env({"STACK_DIR": str(tmp_path)})
    assert stack.environment()["CALL_LOG"] == "slow" and "CALL_LOG=slow" in stack.table()
    assert Stack.from_env({"STACK_DIR": str(tmp_path), "CALL_LOG": "all"}).environment()["CALL_LOG"] == "all"
    assert stack.call_log in MODES
