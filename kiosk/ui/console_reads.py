"""What the guard console reads, and when: jobs on the reader thread, one of each kind at a time.

Today's queue is read every QUEUE_REFRESH_MS whoever is logged in, and before any login (the alert bar
counts the open scans at all times; the list shows them only to a guard). While a guard is logged in,
the status panel's figures are read every STATUS_REFRESH_MS (the audit chain verified against the
server's signed receipts every AUDIT_VERIFY_MS), and today's statistics every STATS_REFRESH_MS while
the guard looks at them. The console (kiosk/ui/console.py) shows what comes back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from kiosk.store import queue
from kiosk.store.db import KioskStore
from kiosk.store.queue import QueueItem
from kiosk.store.reports import daily
from kiosk.store.status import StoreStatus, store_status
from kiosk.sync import anchoring

if TYPE_CHECKING:
    from kiosk.ui.console import GuardConsole

log = logging.getLogger(__name__)

QUEUE_REFRESH_MS = 10_000
STATUS_REFRESH_MS = 5_000
STATS_REFRESH_MS = 60_000
AUDIT_VERIFY_MS = 10 * 60_000


class ConsoleReads(QObject):
    """The console's reads and their timers: `timers` run while a guard is logged in, `summary_timer`
    (the queue for the alert bar) always."""

    def __init__(self, console: GuardConsole) -> None:
        super().__init__(console)
        self.console = console
        self._in_flight: set[str] = set()
        self.timers = {
            "queue": self._timer(QUEUE_REFRESH_MS, self.queue),
            "status": self._timer(STATUS_REFRESH_MS, self.status),
            "stats": self._timer(STATS_REFRESH_MS, self.stats),
            "audit": self._timer(AUDIT_VERIFY_MS, lambda: self.status(verify=True)),
        }
        #: The queue is read logged in or not: the alert bar counts the open scans at all times.
        self.summary_timer = self._timer(QUEUE_REFRESH_MS, self.queue)
        self.summary_timer.start()

    def _timer(self, interval_ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    def _failed(self, key: str) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            self._in_flight.discard(key)
            log.warning("guard console could not read %s: %s", key, error)

        return failed

    def queue(self) -> None:
        """Read today's queue (logged in or not: the alert bar needs it; the list only when logged in)."""
        if "queue" in self._in_flight:
            return
        self._in_flight.add("queue")
        now = self.console.clock()
        self.console.jobs.read(lambda store: queue.queue(store, now), self._queue_done, self._failed("queue"))

    def _queue_done(self, items: list[QueueItem]) -> None:
        self._in_flight.discard("queue")
        self.console.show_queue(items)

    def status(self, verify: bool = False) -> None:
        """The status panel's figures (`verify`: with the audit chain checked), for a guard logged in."""
        key = "status+verify" if verify else "status"
        console = self.console
        if console.guard is None or key in self._in_flight:
            return
        self._in_flight.add(key)
        now = console.clock()

        def done(status: StoreStatus) -> None:
            self._in_flight.discard(key)
            console.status_page.set_store(status, now)

        console.jobs.read(lambda store: _store_status(store, now, verify), done, self._failed(key))

    def stats(self) -> None:
        """Today's statistics, when the guard looks at them (charts cost a frame to rebuild)."""
        console = self.console
        looking = console.tabs.currentWidget() is console.stats_page
        if console.guard is None or "stats" in self._in_flight or not looking:
            return
        self._in_flight.add("stats")
        now = console.clock()

        def done(stats: daily.DailyStats) -> None:
            self._in_flight.discard("stats")
            console.stats_page.set_stats(stats)

        console.jobs.read(lambda store: daily.daily_stats(store, now), done, self._failed("stats"))


def _store_status(store: KioskStore, now: dt.datetime, verify: bool) -> StoreStatus:
    """The status panel's figures (a store job). A verification checks the chain against the server's
    receipts whose signatures verify with the pinned keys, as `kiosk audit verify` does."""
    if not verify:
        return store_status(store, now)
    checked = anchoring.checked_receipts(store)
    return store_status(store, now, True, checked.receipts, checked.problems)
