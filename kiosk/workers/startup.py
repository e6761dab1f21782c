"""How long the kiosk took to start: the seconds from the process's start to a moment of the start-up.

The figure the field needs is "start to first preview frame" (logged by the scan worker when the
first frame reaches the applicant's window; target 3 s, docs/field-figures.md). The start is the
process's own, as the kernel noted it (/proc/self/stat on Linux), so the interpreter's start and every
import count; elsewhere it is the moment this module was first imported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer

#: Start to first preview frame, at most (docs/field-figures.md): slower starts are logged as a warning.
FIRST_FRAME_TARGET_S = 3.0
#: When no preview frame has come by then (a camera that is down), the start-up's upkeep runs anyway.
AFTER_START_LATEST_MS = 10_000

_IMPORTED_AT = time.monotonic()


def process_age_s() -> float:
    """Seconds since this process started (since this module was imported where that is unknown)."""
    age = _kernel_age_s()
    return age if age is not None else time.monotonic() - _IMPORTED_AT


def _kernel_age_s() -> float | None:
    """Linux: the process's start time in clock ticks since boot (field 22 of /proc/self/stat)
    against CLOCK_BOOTTIME, the clock it is counted on."""
    try:
        with open("/proc/self/stat", encoding="ascii") as file:
            stat = file.read()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # fields after the command name start at 3
        started = ticks / os.sysconf("SC_CLK_TCK")
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return max(0.0, now - started)


def after_first_frame(
    preview: Any | None, upkeep: Callable[[], None], latest_ms: int = AFTER_START_LATEST_MS
) -> QTimer:
    """Run `upkeep` once, on the event loop, right after the first preview frame (`preview`: the scan
    worker's signal, None without a camera), or after `latest_ms` without one. For start-up work that
    would hold the GIL in front of the first frame: the collection before gc.freeze (kiosk/app.py
    settle()) took 0.18 s there, measured with cProfile. Returns the fallback timer (the caller owns it)."""
    done = False

    def once() -> None:
        nonlocal done
        if not done:
            done = True
            timer.stop()
            upkeep()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(once)
    timer.start(latest_ms)
    if preview is not None:
        preview.connect(lambda _frame: None if done else QTimer.singleShot(0, once))
    return timer
