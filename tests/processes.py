"""Waiting for a killed child process to end, for the tests of the child-process supervisor and its users."""

from __future__ import annotations

import time

import pytest


def wait_until_dead(pid: int, timeout_s: float = 30.0) -> None:
    """Until the killed child `pid` has ended (a zombie its parent has not reaped yet, or gone): a
    condition, not a guess at how long a SIGKILL takes on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.005)
    pytest.fail(f"process {pid} still runs {timeout_s} s after SIGKILL")
