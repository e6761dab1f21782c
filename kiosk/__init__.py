"""Booking QR gate kiosk for Indonesian immigration offices."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

#: The day this release was built. A kiosk clock that reads earlier than this is wrong for sure,
#: so date checks refuse to trust it (CLOCK_UNTRUSTED). Bump it with each release.
BUILD_DATE = "2026-11-28"


def resources_dir() -> Path:
    """The kiosk's resources (sounds, icons, translations, the self-test QR): beside the package, in a
    checkout and in the frozen bundle alike; $KIOSK_RESOURCES overrides it."""
    import os

    override = os.environ.get("KIOSK_RESOURCES")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "resources"
