"""Which calls get an access line in the log: every call (the default), only slow or
failed ones, or only failed ones. A failed call (any status but OK) is never dropped.
CALL_LOG and CALL_LOG_SLOW_MS set it for a service. Pure."""
from __future__ import annotations

from dataclasses import dataclass

MODES = ("all", "slow", "failed")


@dataclass(frozen=True)
class CallLog:
    mode: str = "all"
    slow_ms: float = 250.0

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"the call log is one of {', '.join(MODES)}, not {self.mode!r}")

    def wants(self, failed: bool, duration_ms: float) -> bool:
        """Whether a call that took duration_ms, and failed or not, gets its line."""
        if failed or self.mode == "all":
            return True
        return self.mode == "slow" and duration_ms >= self.slow_ms
