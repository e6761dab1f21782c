"""What goes wrong with the kiosk's database, said for people: StoreError and the sentences it carries.

Its own module so that the store's parts (kiosk/store/parts/) and its opening (opening.py) raise the
same error as the store itself without importing the store (kiosk/store/db.py imports them)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

log = logging.getLogger(__name__)

#: What reading a damaged or hand-edited value raises on its way into domain objects.
DAMAGED_VALUE = (ValueError, TypeError, KeyError, AttributeError, OverflowError)
TAMPERED = "a booking in the database was changed by hand; call the office's IT staff"


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do. The kiosk goes OUT OF ORDER."""


def damaged(path: Path, exc: Exception) -> StoreError:
    """A stored value this code cannot read (a damaged file, or a hand edit the seal does not cover,
    such as an event's time): stop, never guess."""
    log.error("unreadable value in %s", path, exc_info=exc)
    return StoreError(
        f"the database {path} holds a value that cannot be read ({type(exc).__name__}: {exc}); "
        "it is damaged or was edited by hand: restore it from backup or re-create it and sync"
    )


def explain_sqlite_error(path: Path, exc: BaseException) -> str:
    """A sentence for the person at the kiosk (or the IT staff) from an SQLite error, raw or wrapped."""
    original = getattr(exc, "orig", None) or exc
    text = str(original)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"the database {path} is locked by another program; close it and try again ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database {path} cannot be written (read-only file system or file permissions) ({text})"
    if "disk" in lowered and "full" in lowered:
        return f"the disk holding {path} is full; free some space ({text})"
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return f"the database {path} is damaged ({text}); restore it from backup or re-create it and sync"
    if "unable to open" in lowered:
        return f"cannot open the database {path}: check that its folder exists and can be written ({text})"
    if "disk i/o" in lowered:
        return f"the disk holding {path} failed to read or write ({text}); check the disk"
    return f"database error in {path}: {text}"


def require_aware(now: dt.datetime) -> None:
    """A naive time is the caller's bug, not a damaged database: say so before anything is read."""
    if now.tzinfo is None:
        raise ValueError("the scan time must be timezone-aware")
