"""Notice the kiosk's clock being changed between syncs.

The offset to the server's clock is measured at each sync; if someone sets the clock back (or forward)
afterwards, the wall clock jumps against the monotonic clock. The sync worker calls check() every few
seconds and corrects the stored offset by the jump, so date checks stop trusting the clock at once
(CLOCK_UNTRUSTED), not only at the next sync. At start it also compares the wall clock with the last
successful sync: a clock that now reads earlier than that was set back while the kiosk was off.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from kiosk.store.db import KioskStore
from kiosk.sync import state

log = logging.getLogger(__name__)


class ClockWatch:
    def __init__(
        self,
        store: KioskStore,
        *,
        wall: Callable[[], dt.datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        tolerance_s: float = 2.0,
    ) -> None:
        self.store = store
        self._wall = wall or (lambda: dt.datetime.now(dt.UTC))
        self._monotonic = monotonic
        self.tolerance_s = tolerance_s
        self._last: tuple[dt.datetime, float] | None = None

    def check(self) -> float:
        """Seconds the wall clock jumped since the last check (0.0 when within tolerance)."""
        wall, mono = self._wall(), self._monotonic()
        last, self._last = self._last, (wall, mono)
        status = state.status(self.store)
        if not status.enrolled:
            return 0.0
        if last is None:
            latest = max((t for t in (status.data_as_of, status.last_success_at) if t is not None), default=None)
            behind = (latest - wall).total_seconds() if latest is not None else 0.0
            if behind > self.tolerance_s:
                log.warning("the clock reads %.0f s before the last sync: it was set back", behind)
                self.store.settings.set_sync_state(server_offset_s=max(behind, status.server_offset_s or 0.0))
                return -behind
            return 0.0
        jump = (wall - last[0]).total_seconds() - (mono - last[1])
        if abs(jump) <= self.tolerance_s:
            return 0.0
        log.warning("the wall clock jumped by %+.0f s", jump)
        self.store.settings.set_sync_state(server_offset_s=(status.server_offset_s or 0.0) - jump)
        return jump
