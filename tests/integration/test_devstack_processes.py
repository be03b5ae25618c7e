import signal
import subprocess
import sys
import time

from devstack import processes


def test_a_process_that_honours_sigterm_stops_with_it():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert processes.stop(child, grace=10) == -signal.SIGTERM


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period():
    child = subprocess.Popen([sys.executable, "-c",
                              "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE)
    child.stdout.readline()  # the handler is in place
    started = time.monotonic()
    assert processes.stop(child, grace=0.5) == -signal.SIGKILL
    assert 0.4 < time.monotonic() - started < 5


def test_nothing_to_stop():
    assert processes.stop(None) is None
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert processes.stop(done) == 0
