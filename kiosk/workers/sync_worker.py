"""The sync scheduler: runs the sync client on its own Qt thread, every `interval_s`, at once on "sync
now", and after a failure again with backoff and jitter. It also watches the wall clock between syncs
(ClockWatch), so a clock set back is distrusted within seconds.

The worker opens its own KioskStore (its own database connections) on its thread. It reports through
signals only: `status_changed(SyncStatus)` for the guard console and `sync_finished(SyncOutcome)`.
Synchronous mode for tests: build a SyncWorker and call run_once() on the test's thread, no QThread.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from kiosk.store.db import KioskStore
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import KioskRevokedError, NotEnrolledError, SyncClient, SyncError, SyncResult
from kiosk.sync.clockwatch import ClockWatch
from kiosk.sync.state import SyncStatus

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60.0
CLOCK_CHECK_S = 5.0


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    ok: bool
    result: SyncResult | None = None
    error: str = ""
    #: Seconds until the next scheduled attempt (None: no more automatic attempts, e.g. revoked).
    next_in_s: float | None = None


class SyncWorker(QObject):
    status_changed = Signal(object)  # SyncStatus
    sync_finished = Signal(object)  # SyncOutcome
    stopped = Signal()

    def __init__(
        self,
        open_store: Callable[[], KioskStore],
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock_check_s: float = CLOCK_CHECK_S,
        backoff: Backoff | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._open_store = open_store
        self.interval_s = interval_s
        self.clock_check_s = clock_check_s
        self.backoff = backoff or Backoff()
        self._client_options = client_options or {}
        self._store: KioskStore | None = None
        self._client: SyncClient | None = None
        self._watch: ClockWatch | None = None
        self._timer: QTimer | None = None
        self._clock_timer: QTimer | None = None

    # --- synchronous API (also what the thread runs) ------------------------------------------------

    def open(self) -> None:
        if self._store is None:
            self._store = self._open_store()
            self._client = SyncClient(self._store, **self._client_options)
            self._watch = ClockWatch(self._store)
            self._watch.check()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._store is not None:
            self._store.close()
        self._store = self._client = self._watch = None

    def status(self) -> SyncStatus:
        self.open()
        assert self._client is not None
        return self._client.status()

    def run_once(self) -> SyncOutcome:
        """One sync attempt; emits the status before and after, and the outcome."""
        self.open()
        assert self._client is not None
        self.status_changed.emit(dataclasses.replace(self._client.status(), syncing=True))
        try:
            result = self._client.sync_once()
        except (NotEnrolledError, KioskRevokedError) as exc:
            outcome = SyncOutcome(False, error=str(exc), next_in_s=None)
        except SyncError as exc:
            delay = self.backoff.failure(exc.retry_after_s)
            log.warning("sync failed (%s); next attempt in %.0f s", exc, delay)
            outcome = SyncOutcome(False, error=str(exc), next_in_s=delay)
        except Exception as exc:  # a bug or a database fault must not kill the sync thread
            log.exception("sync crashed")
            outcome = SyncOutcome(False, error=f"{type(exc).__name__}: {exc}", next_in_s=self.backoff.failure())
        else:
            self.backoff.success()
            outcome = SyncOutcome(True, result, next_in_s=self.interval_s)
        self.status_changed.emit(self._client.status())
        self.sync_finished.emit(outcome)
        return outcome

    def check_clock(self) -> float:
        self.open()
        assert self._watch is not None
        jump = self._watch.check()
        if jump:
            self.status_changed.emit(self.status())
        return jump

    # --- threaded mode (slots run on the worker's thread) -------------------------------------------

    @Slot()
    def start(self) -> None:
        self.open()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self.check_clock)
        self._clock_timer.start(int(self.clock_check_s * 1000))
        self.status_changed.emit(self.status())
        self._timer.start(0)

    @Slot()
    def sync_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        outcome = self.run_once()
        if self._timer is not None and outcome.next_in_s is not None:
            self._timer.start(int(outcome.next_in_s * 1000))

    @Slot()
    def stop(self) -> None:
        for timer in (self._timer, self._clock_timer):
            if timer is not None:
                timer.stop()
        self._timer = self._clock_timer = None
        self.close()
        self.stopped.emit()


class SyncThread(QObject):
    """Owns the QThread and its SyncWorker; lives in the GUI thread. start(), sync_now(), stop()."""

    _sync_now = Signal()
    _stop = Signal()

    def __init__(self, worker: SyncWorker) -> None:
        super().__init__()
        self.worker = worker
        self.qthread = QThread()
        self.qthread.setObjectName("sync")
        worker.moveToThread(self.qthread)
        self.qthread.started.connect(worker.start)
        self._sync_now.connect(worker.sync_now)
        self._stop.connect(worker.stop)
        # direct: stop() waits on the GUI thread, so a queued quit would never be delivered
        worker.stopped.connect(self.qthread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.qthread.start()

    def sync_now(self) -> None:
        """The guard's "sync now": runs on the sync thread as soon as it is free."""
        self._sync_now.emit()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Stop after the running attempt (if any) and wait for the thread. True if it ended."""
        if not self.qthread.isRunning():
            return True
        self._stop.emit()
        return bool(self.qthread.wait(timeout_ms))
