"""What a reader saw, and the one debouncer that turns repeat reads into one presentation."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.domain.debounce import Debouncer
from kiosk.domain.payload import parse_payload


class Source(enum.StrEnum):
    """Where a code came from; kept in the event's facts."""

    CAMERA = "camera"
    WEDGE = "wedge"  # a hand scanner that types like a keyboard
    MANUAL = "manual"  # typed in by a guard on the console
    CLI = "cli"  # `kiosk check`, `kiosk sync check`
    TEXT_DEMO = "stdin"  # the text demo
    DEMO = "demo"  # made-up scans of the demo and the screenshots


@dataclass(frozen=True, slots=True)
class Sighting:
    """One presentation as the door takes it: the raw bytes (or typed text) of the code, how many
    other codes were in the same frame (more than none: the decision REFERs), the source, the guard
    who typed it (manual entry only) and when it was seen."""

    raw: bytes | str
    at: dt.datetime
    source: Source = Source.CAMERA
    other_codes: int = 0
    guard_id: int | None = None


def presentation_key(raws: Sequence[bytes | str]) -> str:
    """The same codes, however read (case, edge spaces, order in the frame), give the same key."""
    return "|".join(sorted(_key(raw) for raw in raws))


def _key(raw: bytes | str) -> str:
    payload = parse_payload(raw)
    if payload.code:
        return f"{payload.kind.value}:{payload.code}"
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return f"{payload.kind.value}:{hashlib.sha256(data).hexdigest()[:16]}"


class Intake:
    """The kiosk's only debouncer (office rule `debounce_seconds`): a code held in front of the camera,
    or read by the camera and the hand scanner at once, is one presentation. Time is monotonic
    seconds, passed in."""

    def __init__(self, debounce_s: float) -> None:
        self._debouncer = Debouncer(debounce_s)

    def accept(self, raws: Sequence[bytes | str], source: Source, at: dt.datetime, monotonic: float) -> Sighting | None:
        """A Sighting for a new presentation of the codes read together, or None for a repeat read."""
        if not raws or not self._debouncer.is_new_presentation(presentation_key(raws), monotonic):
            return None
        return Sighting(raws[0], at, source, other_codes=len(raws) - 1)
