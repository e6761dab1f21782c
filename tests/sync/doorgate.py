"""The sync tests' handle on the kiosk's door with the online check: one call, one recorded scan.

(These tests were written against the online gate that preceded the door; the door is the only way a
code is decided now, so this keeps their words and goes through it.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Decision
from kiosk.door import Door, DoorSettings, Sighting, Source
from kiosk.store.db import KioskStore
from kiosk.store.recorder import Recorded


@dataclass(frozen=True, slots=True)
class GateResult:
    recorded: Recorded

    @property
    def online(self) -> bool:
        return self.recorded.decided_by == "server"

    @property
    def fallback(self) -> str:
        return self.recorded.fallback


class OnlineGate:
    #: Generous for a loaded CI machine (a check took 539 ms once on PostgreSQL there): tests that are
    #: about the fallback pass their own budget.
    def __init__(self, store: KioskStore, *, timeout_s: float = 3.0, enabled: bool = True) -> None:
        self.door = Door(store, DoorSettings(online_check=enabled, budget_s=timeout_s))

    def present(
        self, raw: bytes | str, now: dt.datetime, *, other_codes: int = 0, source: str = "camera"
    ) -> GateResult:
        return GateResult(self.door.present(Sighting(raw, now, Source(source), other_codes)))

    def close(self) -> None:
        self.door.close()

    def __enter__(self) -> OnlineGate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def record_decision(
    store: KioskStore, presentation: Presentation, decision: Decision, now: dt.datetime, uuid: str, source: str
) -> Recorded:
    return store.decisions.record_decided(presentation, decision, now, source, uuid)
