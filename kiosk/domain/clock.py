"""Can the kiosk's clock be trusted for date and time checks?

A clock that reads earlier than the build date is wrong for sure (a dead RTC battery resets to 2000);
a clock far from the server's (measured at the last sync) is wrong enough to admit the wrong day.
"""

from __future__ import annotations

import datetime as dt


def clock_trusted(now: dt.datetime, build_date: dt.date, server_offset_s: float | None, max_offset_s: float) -> bool:
    if now.astimezone(dt.UTC).date() < build_date:
        return False
    return server_offset_s is None or abs(server_offset_s) <= max_offset_s
