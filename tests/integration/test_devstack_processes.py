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


def test_a_child_started_to_die_with_its_parent_goes_when_the_parent_is_killed():
    """What keeps `python -m devstack rabbitmq`'s epmd from outliving it (and from holding
    honcho's output pipe, which hung `make run` after Ctrl-C)."""
    parent = subprocess.Popen([sys.executable, "-c", (
        "import signal, subprocess, sys, time\n"
        "from devstack import processes\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True,\n"
        "                         preexec_fn=processes.dies_with_parent(signal.SIGTERM))\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.kill()  # no chance to clean up
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid), "the child outlived its killed parent"


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
