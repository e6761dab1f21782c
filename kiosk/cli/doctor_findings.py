"""What each of `kiosk doctor`'s checks found: its own module, so that the checks split into modules
(doctor_relay.py) share it without importing the command."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"  # not checked, because a part it depends on FAILed (that FAIL is the cause)


@dataclass(frozen=True, slots=True)
class Finding:
    part: str
    level: Level
    detail: str
    hint: str = ""

    def lines(self) -> list[str]:
        first = f"{self.level.value:<5} {self.part:<9} {self.detail}"
        return [first] + ([f"{'':<15} -> {self.hint}"] if self.hint and self.level is not Level.OK else [])
