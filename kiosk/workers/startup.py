"""How long the kiosk took to start: the seconds from the process's start to a moment of the start-up.

The figure the field needs is "start to first preview frame" (logged by the scan worker when the
first frame reaches the applicant's window; target 3 s, docs/field-figures.md). The start is the
process's own, as the kernel noted it (/proc/self/stat on Linux), so the interpreter's start and every
import count; elsewhere it is the moment this module was first imported.
"""

from __future__ import annotations

import os
import time

#: Start to first preview frame, at most (docs/field-figures.md): slower starts are logged as a warning.
FIRST_FRAME_TARGET_S = 3.0

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
