"""Waiting for a killed child process to end, for the tests of the child-process supervisor and its users."""

from __future__ import annotations

import os
import time

import pytest


def wait_until_dead(pid: int, timeout_s: float = 30.0) -> None:
    """Until the killed child `pid` has ended, every thread of it (a zombie its parent has not reaped
    yet, or gone): a condition, not a guess at how long a SIGKILL takes on a loaded machine.

    Every thread, not only the main one: the main thread of a process with more threads (a child's
    parent watch) shows as a zombie while the others are still being torn down, and its files (the
    pipe to the kiosk) close only when the last one has gone. Measured: a send to such a child right
    after its main thread turned zombie went through in 2 of 60 tries on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(state in ("Z", "X", None) for state in thread_states(pid)):
            return
        time.sleep(0.005)
    pytest.fail(f"process {pid} still runs {timeout_s} s after SIGKILL")


def thread_states(pid: int) -> list[str | None]:
    """The state letter of each thread of `pid` (None for one that went while it was read); [] when
    the process is gone."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    return [_state(f"/proc/{pid}/task/{tid}/stat") for tid in tids]


def _state(path: str) -> str | None:
    try:
        with open(path) as stat:
            return stat.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None
