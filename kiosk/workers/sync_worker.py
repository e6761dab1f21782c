"""The sync scheduler: runs the sync every `interval_s`, at once on "sync now", and after a failure
again with backoff and jitter, from its own Qt thread. It also watches the wall clock between syncs
(ClockWatch), so a clock set back is distrusted within seconds.

By default the sync client itself runs in a child process at a low priority (kiosk/sync/process.py:
it then takes neither the GIL nor the CPU from the gate's scans); the worker's thread only waits for
it. `separate_process=False` runs the client on the worker's thread, as in-process tests need (a
client with a test transport), and the worker falls back to that by itself when the child process
cannot be started at all (START_FAILURES_BEFORE_FALLBACK times in a row): a slower gate is better than
a kiosk whose data goes stale. A child that dies or hangs is a failed attempt (backoff); the next
attempt starts a new one.

The worker opens its own KioskStore (its own database connections) on its thread; the guard console's
status is read from it. It reports through signals only: `statusChanged(SyncStatus)` for the guard
console and `syncFinished(SyncOutcome)`. Synchronous mode for tests: build a SyncWorker and call
run_once() on the test's thread, no QThread.

`health` (optional, settable until the worker starts): called on the worker's thread before each sync
for what only the kiosk's process knows of its health (camera, decoder, relay, faults, uptime, version:
kiosk/workers/health.py's kiosk_health); each sync sends it to the server with what the store knows
(`kiosk server kiosks`). A provider that fails costs the sync nothing: the store's part goes alone.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from kiosk.store.db import KioskStore, StoreError
from kiosk.sync import state
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import KioskRevokedError, NotEnrolledError, SyncClient, SyncError, SyncResult
from kiosk.sync.clockwatch import ClockWatch
from kiosk.sync.process import NICE, RemoteError, SyncProcess, SyncProcessStartError
from kiosk.sync.state import SyncStatus

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60.0
CLOCK_CHECK_S = 5.0
START_FAILURES_BEFORE_FALLBACK = 3


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    ok: bool
    result: SyncResult | None = None
    error: str = ""
    #: Seconds until the next scheduled attempt (None: no more automatic attempts, e.g. revoked).
    next_in_s: float | None = None


class SyncWorker(QObject):
    statusChanged = Signal(object)  # SyncStatus
    syncFinished = Signal(object)  # SyncOutcome
    stopped = Signal()

    def __init__(
        self,
        open_store: Callable[[], KioskStore],
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock_check_s: float = CLOCK_CHECK_S,
        backoff: Backoff | None = None,
        client_options: dict[str, Any] | None = None,
        separate_process: bool = True,
        nice: int = NICE,
        health: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """`client_options` go to SyncClient (in the child process they must be picklable); `health`
        gives the kiosk process's part of its health at each sync (plain values)."""
        super().__init__()
        self._open_store = open_store
        self.health = health
        self.interval_s = interval_s
        self.clock_check_s = clock_check_s
        self.backoff = backoff or Backoff()
        self._client_options = client_options or {}
        self.separate_process = separate_process
        self._nice = nice
        self._start_failures = 0
        self._store: KioskStore | None = None
        self._client: SyncClient | None = None
        self._watch: ClockWatch | None = None
        self._runner: SyncProcess | None = None
        self._interrupted = False
        self._timer: QTimer | None = None
        self._clock_timer: QTimer | None = None

    # --- synchronous API (also what the thread runs) ------------------------------------------------

    def open(self) -> None:
        if self._store is not None:
            return
        self._store = self._open_store()
        if self.separate_process:
            self._runner = SyncProcess(
                self._store.path,
                client_options=self._client_options,
                busy_timeout_ms=self._store.busy_timeout_ms,
                nice=self._nice,
            )
            if self._interrupted:
                self._runner.interrupt()
        else:
            self._open_in_thread()

    def _open_in_thread(self) -> None:
        assert self._store is not None
        self._client = SyncClient(self._store, **self._client_options)
        self._watch = ClockWatch(self._store)
        self._watch.check()

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
        if self._client is not None:
            self._client.close()
        if self._store is not None:
            self._store.close()
        self._store = self._client = self._watch = self._runner = None

    def interrupt(self) -> None:
        """From any thread: end a sync under way in the child process at once, and start no more (the
        kiosk is closing; SyncThread.stop() calls it). A sync on the worker's own thread cannot be cut
        short: it ends when it ends."""
        self._interrupted = True
        runner = self._runner
        if runner is not None:
            runner.interrupt()

    def status(self) -> SyncStatus:
        self.open()
        assert self._store is not None
        return state.status(self._store)

    def run_once(self) -> SyncOutcome:
        """One sync attempt; emits the status before and after, and the outcome."""
        self.open()
        self.statusChanged.emit(dataclasses.replace(self.status(), syncing=True))
        outcome = self._attempt()
        self.statusChanged.emit(self.status())
        self.syncFinished.emit(outcome)
        return outcome

    def _attempt(self) -> SyncOutcome:
        try:
            result = self._sync()
        except (NotEnrolledError, KioskRevokedError) as exc:
            return SyncOutcome(False, error=str(exc), next_in_s=None)
        except SyncError as exc:
            if self._interrupted:  # the kiosk is closing: not a failure, and nothing to try again
                log.info("sync stopped: %s", exc)
                return SyncOutcome(False, error=str(exc), next_in_s=None)
            delay = self.backoff.failure(exc.retry_after_s)
            log.warning("sync failed (%s); next attempt in %.0f s", exc, delay)
            return SyncOutcome(False, error=str(exc), next_in_s=delay)
        except RemoteError as exc:  # the sync process logged the traceback
            log.error("sync crashed in the sync process: %s", exc)
            return SyncOutcome(False, error=str(exc), next_in_s=self.backoff.failure())
        except Exception as exc:  # a bug or a database fault must not kill the sync thread
            log.exception("sync crashed")
            return SyncOutcome(False, error=f"{type(exc).__name__}: {exc}", next_in_s=self.backoff.failure())
        self.backoff.success()
        return SyncOutcome(True, result, next_in_s=self.interval_s)

    def _health(self) -> Mapping[str, Any] | None:
        if self.health is None:
            return None
        try:
            return self.health()
        except Exception:  # never fail a sync for it: the store's part of the health still goes
            log.exception("the kiosk's health could not be read")
            return None

    def _sync(self) -> SyncResult:
        health = self._health()
        if self._runner is None:
            assert self._client is not None
            return self._client.sync_once(health)
        try:
            result = self._runner.sync_once(health)
        except SyncProcessStartError:
            self._start_failures += 1
            if self._start_failures >= START_FAILURES_BEFORE_FALLBACK and not self._interrupted:
                self._fall_back()
            raise
        self._start_failures = 0
        return result

    def _fall_back(self) -> None:
        log.error(
            "the sync process could not be started %d times in a row; syncing on the kiosk's own thread "
            "from now on (scans may be slower during a sync)",
            self._start_failures,
        )
        if self._runner is not None:
            self._runner.close()
        self._runner = None
        self.separate_process = False
        self._open_in_thread()

    def check_clock(self) -> float:
        self.open()
        if self._runner is not None:
            try:
                jump = self._runner.check_clock()
            except (SyncError, RemoteError, StoreError) as exc:
                log.warning("clock check in the sync process failed: %s", exc)
                return 0.0
        else:
            assert self._watch is not None
            jump = self._watch.check()
        if jump:
            self.statusChanged.emit(self.status())
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
        self.statusChanged.emit(self.status())
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

    _syncNow = Signal()
    _stop = Signal()

    def __init__(self, worker: SyncWorker) -> None:
        super().__init__()
        self.worker = worker
        self.qthread = QThread()
        self.qthread.setObjectName("sync")
        worker.moveToThread(self.qthread)
        self.qthread.started.connect(worker.start)
        self._syncNow.connect(worker.sync_now)
        self._stop.connect(worker.stop)
        # direct: stop() waits on the GUI thread, so a queued quit would never be delivered
        worker.stopped.connect(self.qthread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.qthread.start()

    def sync_now(self) -> None:
        """The guard's "sync now": runs on the sync thread as soon as it is free."""
        self._syncNow.emit()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Stop and wait for the thread. A sync under way in the sync process is cut short (it resumes
        at the next start); one on the worker's own thread is waited for. True if the thread ended."""
        if not self.qthread.isRunning():
            return True
        self.worker.interrupt()
        self._stop.emit()
        return bool(self.qthread.wait(timeout_ms))
