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
