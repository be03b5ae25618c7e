"""Process memory for `make bench`: the RSS of a process and its children (psutil), and the
services section's idle-memory table, each service beside the goal of staying under
IDLE_RSS_GOAL_MB (bench/goals.py) when idle."""
from __future__ import annotations

import contextlib
from typing import Mapping

import psutil

from bench.goals import IDLE_RSS_GOAL_MB

MIB = 1024 * 1024
MB = 1_000_000


def tree(pid: int, include_self: bool = True) -> set[int]:
    """pid and every descendant of it (or only the descendants)."""
    try:
        process = psutil.Process(pid)
        found = {child.pid for child in process.children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()
    return found | ({pid} if include_self else set())


def rss_bytes(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += psutil.Process(pid).memory_info().rss
    return total


def rss_mib(pids: set[int]) -> float:
    return rss_bytes(pids) / MIB


def rss_mb_by_name(pids: Mapping[str, int]) -> dict[str, float]:
    """name -> RSS in MB (10^6 bytes) of that process and its children."""
    return {name: rss_bytes(tree(pid)) / MB for name, pid in pids.items()}


def largest(*readings: Mapping[str, float]) -> tuple[str, float] | None:
    """The process with the most memory in any of the readings, and that amount."""
    found = [(value, name) for reading in readings for name, value in reading.items()]
    if not found:
        return None
    value, name = max(found)
    return name, value


def table(after_start: Mapping[str, float], after_load: Mapping[str, float], idle_seconds: int) -> str:
    goal = f"< {IDLE_RSS_GOAL_MB:g} MB"
    header = f"{'service':<18} {'after start':>12} {'after the load':>15} {'goal':>9} {'verdict':>8}"
    lines = [f"idle memory: each service's RSS with its children (psutil), in MB (10^6 bytes), after {idle_seconds} s "
             "idle, once after start and again after every row above", header, "-" * len(header)]
    for name in dict.fromkeys([*after_start, *after_load]):
        start, load = after_start.get(name), after_load.get(name)
        worst = max(value for value in (start, load) if value is not None)
        verdict = "met" if worst < IDLE_RSS_GOAL_MB else "NOT MET"
        lines.append(f"{name:<18} {_mb(start):>12} {_mb(load):>15} {goal:>9} {verdict:>8}")
    return "\n".join(lines)


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} MB"
