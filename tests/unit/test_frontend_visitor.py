"""When the website asks identity again whether a signed-in session lives."""
import pytest

from frontend.visitor import check_due


@pytest.mark.parametrize("seen_live_at, now, interval, due", [
    (100.0, 100.0, 30.0, False),   # just seen
    (100.0, 129.9, 30.0, False),   # within the interval
    (100.0, 130.0, 30.0, True),    # the interval is over
    (0.0, 100.0, 30.0, True),      # never seen (a cookie without the time)
    (200.0, 100.0, 30.0, True),    # seen "in the future": another clock, asked again
    (100.0, 100.0, 0.0, True),     # an interval of 0: every request asks
])
def test_a_session_is_asked_about_once_its_last_live_answer_is_older_than_the_interval(seen_live_at, now, interval,
                                                                                         due):
    assert check_due(seen_live_at, now, interval) is due
