import time

from service_runtime import deadlines


def test_outside_a_call_an_outgoing_call_keeps_its_own_cap():
    assert deadlines.remaining() is None and deadlines.capped(5.0) == 5.0


def test_inside_a_call_the_smaller_of_the_cap_and_what_is_left():
    with deadlines.handling(1.0):
        assert 0.9 < deadlines.capped(5.0) <= 1.0
        assert deadlines.capped(0.2) == 0.2
    with deadlines.handling(None):
        assert deadlines.capped(5.0) == 5.0
    assert deadlines.remaining() is None, "the call's deadline ends with it"


def test_a_passed_deadline_leaves_nothing():
    with deadlines.handling(0.01):
        time.sleep(0.02)
        assert deadlines.remaining() == 0.0 and deadlines.capped(5.0) == 0.0
