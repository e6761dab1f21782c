"""How the online check answered recently, for the guard's status panel (kept in the GUI thread)."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass

from kiosk.door import trust
from kiosk.store.recorder import Recorded
from kiosk.sync import online

WINDOW = 50
ANSWERED_BUT_HERE = (trust.SEEN_HERE, trust.LOCAL_FACT)
CANNOT_ASK = frozenset({online.NOT_ENROLLED, online.REVOKED})


@dataclass(frozen=True, slots=True)
class OnlineSummary:
    enabled: bool
    asked: int  # online checks among the last WINDOW scans that asked
    answered: int  # ... that the server answered in time, with a usable decision
    median_ms: float | None
    last_fallback: str = ""

    @property
    def share(self) -> float | None:
        return self.answered / self.asked if self.asked else None


class OnlineStats:
    def __init__(self, enabled: bool, window: int = WINDOW) -> None:
        self.enabled = enabled
        self._recent: deque[tuple[bool, float]] = deque(maxlen=window)
        self._last_fallback = ""

    def add(self, recorded: Recorded) -> None:
        """Count a scan that asked the server (answered: the server's answer came in time, whether or
        not the door took it); remember why the last one that asked, or could not ask, fell back."""
        if recorded.online_ms is not None:
            answered = recorded.decided_by == "server" or recorded.fallback.startswith(ANSWERED_BUT_HERE)
            self._recent.append((answered, recorded.online_ms))
        if recorded.fallback and (recorded.online_ms is not None or recorded.fallback in CANNOT_ASK):
            self._last_fallback = recorded.fallback

    def summary(self) -> OnlineSummary:
        times = [ms for _answered, ms in self._recent]
        return OnlineSummary(
            self.enabled,
            len(self._recent),
            sum(1 for answered, _ms in self._recent if answered),
            statistics.median(times) if times else None,
            self._last_fallback,
        )
