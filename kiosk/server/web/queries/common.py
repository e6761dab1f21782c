"""What several pages' queries share: an office's zone and day bounds as UTC text."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.server import offices
from kiosk.server.db import utc_text


def zone_of(office_row: Any) -> ZoneInfo:
    return offices.rules_of(office_row).tz


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[str, str]:
    """[start, end) of an office-local day, as the UTC text events are stored with."""
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return utc_text(start), utc_text(end)


def range_bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[str, str]:
    return day_bounds(first, zone)[0], day_bounds(last, zone)[1]


def local_today(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()


def local_time(text: str, zone: ZoneInfo) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone)


def office_name(office_row: Any) -> str:
    """The office's name when the server keeps one (a newer schema), else its code."""
    return str(getattr(office_row, "name", None) or office_row.code)
