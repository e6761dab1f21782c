"""Reading form and query values: dates, bounded texts, numbers; a bad value is a 400 page."""

from __future__ import annotations

import datetime as dt

from kiosk.server.web.auth import WebError

FIRST_YEAR, LAST_YEAR = 2000, 2099


def date_or(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise WebError(400, f"Tanggal tidak sah / Not a date: {value[:20]!r}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # nothing is held outside; and day arithmetic stays in range
        raise WebError(400, f"Tanggal di luar {FIRST_YEAR}-{LAST_YEAR} / Date outside {FIRST_YEAR}-{LAST_YEAR}: {day}")
    return day


def text(value: object, limit: int = 200) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def whole(value: object, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise WebError(400, f"{name}: bukan bilangan bulat / not a whole number") from None
    if not low <= number <= high:
        raise WebError(400, f"{name}: antara / between {low} .. {high}")
    return number
