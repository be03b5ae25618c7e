"""Start-up failures that no retry or restart can cure: the environment must change first."""
from __future__ import annotations


class StartupError(Exception):
    """The service cannot run where it was started (a database it cannot use, say). The
    message is one line that says what is wrong and how to put it right; host.run prints
    it after the service's name and exits with 2, without a traceback."""
