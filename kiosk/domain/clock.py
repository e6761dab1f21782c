"""Can the kiosk's clock be trusted for date and time checks?

A clock that reads earlier than the build date is wrong for sure (a dead RTC battery resets to 2000);
a clock far from the server's (measured at the last sync) is wrong enough to admit the wrong day.

Also the wall clock the kiosk reads (`WallClock`, `utc_now`): one definition for the screens, the sync
client and the app, which take a clock as a parameter so that tests can set the time. (Not the vision
layer's monotonic `kiosk.vision.clock.Clock`, which measures intervals, not dates.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

#: Reads the current wall-clock time (aware, UTC).
WallClock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def clock_trusted(now: dt.datetime, build_date: dt.date, server_offset_s: float | None, max_offset_s: float) -> bool:
    if now.astimezone(dt.UTC).date() < build_date:
        return False
    return server_offset_s is None or abs(server_offset_s) <= max_offset_s
