"""One decision per presentation: repeat reads of the same code inside the window are one scan.

The window slides: a code held in front of the camera for ten seconds keeps refreshing it and stays one
scan; the same code shown again after a pause of more than the window is a new presentation. Time is
passed in (monotonic seconds), so this is testable without sleeping.
"""

from __future__ import annotations


class Debouncer:
    def __init__(self, window_seconds: float, max_remembered: int = 64) -> None:
        self.window = window_seconds
        self._last_seen: dict[str, float] = {}
        self._max = max_remembered

    def is_new_presentation(self, key: str, now: float) -> bool:
        """Record a read of `key` at `now`; True when it starts a new presentation."""
        last = self._last_seen.get(key)
        self._last_seen[key] = now
        self._forget_old(now)
        return last is None or now - last > self.window or now < last

    def _forget_old(self, now: float) -> None:
        if len(self._last_seen) <= self._max:
            return
        cutoff = now - self.window
        self._last_seen = {k: t for k, t in self._last_seen.items() if t >= cutoff}
