"""The running kiosk keeps personal data no longer than the office's retention period by itself.

`kiosk purge` deletes bookings whose service date is more than `[database] retention_days` ago; a
kiosk that runs for months without a visit must not wait for someone to type it. So `kiosk run`
purges on its writer thread (between scans, like any write) 15 s after it starts and then every
six hours: a purge that finds nothing deletes nothing, and each one leaves its audit entry (the
evidence that the retention was kept). Not while the kiosk's clock is untrusted (the test the door
uses before it judges dates): a clock set days ahead would delete bookings that are still to come,
and they would stay gone when it is put right. A purge that fails or is skipped is logged and tried
again at the next turn.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QTimer

from kiosk.store.db import KioskStore
from kiosk.store.parts.retention import PurgeReport
from kiosk.workers.db_writer import DbWriter

log = logging.getLogger(__name__)

FIRST_PURGE_MS = 15_000  # after the start-up (the first preview frame comes within ~2 s), not in its way
PURGE_EVERY_MS = 6 * 3600 * 1000


class RetentionKeeper:
    """Purges bookings past `retention_days` at `first_ms` after start() and every `every_ms` after."""

    def __init__(
        self,
        writer: DbWriter,
        retention_days: int,
        clock: Callable[[], dt.datetime],
        *,
        first_ms: int = FIRST_PURGE_MS,
        every_ms: int = PURGE_EVERY_MS,
    ) -> None:
        self._writer, self.retention_days, self._clock = writer, retention_days, clock
        self._every_ms = every_ms
        self.purges: list[PurgeReport] = []  # the last few, for tests and the log
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.purge_now())  # noqa: PLW0108 - PySide holds a bound method weakly
        self._first_ms = first_ms

    def start(self) -> None:
        self._timer.start(self._first_ms)

    def stop(self) -> None:
        self._timer.stop()

    def purge_now(self) -> None:
        """Hand one purge to the writer thread, and plan the next one."""
        days, now = self.retention_days, self._clock()
        self._timer.start(self._every_ms)
        try:
            self._writer.submit(lambda store: _purge(store, now, days), self._purged, self._failed)
        except RuntimeError as exc:  # the writer has stopped: the kiosk is closing
            log.debug("retention: no purge: %s", exc)

    def _purged(self, report: PurgeReport) -> None:
        self.purges = [*self.purges[-9:], report]
        level = logging.INFO if report.bookings else logging.DEBUG
        log.log(level, "retention: deleted %d booking(s) dated before %s", report.bookings, report.cutoff)

    def _failed(self, exc: BaseException) -> None:
        log.warning("retention: the purge failed (%s: %s); tried again in %d h", type(exc).__name__, exc,
                    self._every_ms // 3_600_000)  # fmt: skip


class ClockNotTrustedError(Exception):
    """The kiosk's clock is not trusted now: a clock run ahead would delete bookings still to come."""


def _purge(store: KioskStore, now: dt.datetime, days: int) -> PurgeReport:
    if not store.decisions.circumstances(now).clock_trusted:  # the same test the door's date checks use
        raise ClockNotTrustedError("the clock is not trusted (set wrong, or far from the server's)")
    return store.retention.purge(now, days)
