"""Booking QR gate kiosk for Indonesian immigration offices."""

from __future__ import annotations

__version__ = "0.1.0"

#: The day this release was built. A kiosk clock that reads earlier than this is wrong for sure,
#: so date checks refuse to trust it (CLOCK_UNTRUSTED). Bump it with each release.
BUILD_DATE = "2026-11-28"
