"""How times are written as text in both databases (the kiosk's and the server's): UTC ISO-8601 with
microseconds, which sorts in time order. Shared by kiosk/store and kiosk/server."""

from __future__ import annotations

import datetime as dt


def to_text(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware time")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_text(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def duration_text(value: dt.timedelta) -> str:
    """A duration as a person reads it in a table: "45 s", "12 min", "5 h", "3 days"; a negative one
    (a clock set back) as "in the future (clock set back?)"."""
    seconds = int(value.total_seconds())
    if seconds < 0:
        return "in the future (clock set back?)"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
