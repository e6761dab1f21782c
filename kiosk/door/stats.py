"""How the online check answered recently, for the guard's status panel (kept in the GUI thread)."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass

from kiosk.store.recorder import Recorded

WINDOW = 50


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
        """Count a scan that asked the server; remember why the last one that fell back did."""
        if recorded.fallback:
            self._last_fallback = recorded.fallback
        if recorded.online_ms is not None:
            self._recent.append((recorded.decided_by == "server", recorded.online_ms))

    def summary(self) -> OnlineSummary:
        times = [ms for _answered, ms in self._recent]
        return OnlineSummary(
            self.enabled,
            len(self._recent),
            sum(1 for answered, _ms in self._recent if answered),
            statistics.median(times) if times else None,
            self._last_fallback,
        )
