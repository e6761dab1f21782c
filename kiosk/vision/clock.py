"""Clocks as parameters: the camera, the watchdog and the scan loop read time through one of these.

A simulated camera in virtual time shares a ManualClock with the scan loop, so tests of watchdog
faults and reconnect backoff run in microseconds, without sleeping and without timing flakiness.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass (really, or virtually)."""
        ...


class MonotonicClock:
    """Wall-independent real time."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """Virtual time that only moves when someone sleeps or advances it; thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def advance_to(self, when: float) -> None:
        with self._lock:
            self._now = max(self._now, when)
