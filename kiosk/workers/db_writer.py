"""The one serialised database writer (and, as a second instance, the reader): store work off the GUI thread.

The GUI thread never waits on the database. It hands a job (a function of the KioskStore) to a
`DbWriter`; the job runs on the writer's own thread, in submission order, one at a time; its result or
its exception comes back as a Qt signal, delivered in the GUI thread, where the job's callbacks run.
Scans go through `record()`, which takes them through the door (kiosk/door: verify, ask the server
across gates within its budget, record) and calls its `done(Recorded)` only after the commit has
returned: the caller shows the verdict and pulses the gate in that callback, never before (commit
before show). A failed write calls `failed(exception)` instead (`failure_text` gives the store's
message): the caller shows OUT OF ORDER and keeps the gate shut.

The thread is a plain Python thread fed by a queue, not a QThread: Python code running on a QThread
registers a never-ending "dummy" thread with the threading module (in Python 3.11) as soon as anything
there logs, which would count as a leaked thread; a Python thread is joined for real by `stop()`.
Results cross to the GUI thread through queued signal connections all the same.

The thread keeps to the CPUs the sync's process does not use (kiosk/store/cpus.py).

`synchronous=True` runs each job at once in the caller's thread (tests, command-line tools).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from kiosk.door import Door, Sighting
from kiosk.runtime import cpus
from kiosk.store.db import KioskStore, StoreError

log = logging.getLogger(__name__)

Job = Callable[[KioskStore], Any]
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A job's result or exception, in one object: PySide6 with Python 3.11 miscounts references to
    None passed through a queued Signal(object), which crashes the interpreter at exit, so a signal
    argument is never None."""

    result: object
    error: BaseException | None


class DbWriter(QObject):
    _finished = Signal(int, object)  # ticket, _Outcome (from the worker thread)

    def __init__(
        self,
        store: KioskStore,
        *,
        synchronous: bool = False,
        name: str = "kiosk-db-writer",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.synchronous = synchronous
        self.name = name
        self._tickets = itertools.count(1)
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self._queue: queue.SimpleQueue[tuple[int, Job] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; jobs submitted before this wait in the queue and run first."""
        if self.synchronous or self._thread is not None:
            return
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=False)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the jobs already queued, then end the thread and wait for it."""
        thread, self._thread = self._thread, None
        self._stopped = True
        if thread is None:
            return
        self._queue.put(None)
        thread.join(timeout_s)
        if thread.is_alive():  # a write stuck on a lock longer than the store's own busy timeout
            log.error("the %s thread did not stop within %.0f s", self.name, timeout_s)

    @property
    def running(self) -> bool:
        return self.synchronous or (self._thread is not None and self._thread.is_alive())

    @property
    def pending(self) -> int:
        """Jobs submitted whose result has not been delivered yet."""
        return len(self._callbacks)

    # --- work -------------------------------------------------------------------------------------

    def submit(self, job: Job, done: Done | None = None, failed: Failed | None = None) -> int:
        """Run `job(store)` on the writer thread; `done(result)` or `failed(exception)` run in the GUI
        thread afterwards (a failure without `failed` is logged). Returns the job's ticket."""
        ticket = next(self._tickets)
        self._callbacks[ticket] = (done, failed)
        if self.synchronous:
            self._deliver(ticket, _run_job(self.store, job))
            return ticket
        if self._stopped:
            self._callbacks.pop(ticket)
            raise RuntimeError(f"{self.name} has stopped")
        self._queue.put((ticket, job))
        return ticket

    def record(
        self,
        door: Door,
        sighting: Sighting,
        done: Done | None = None,
        failed: Failed | None = None,
    ) -> int:
        """Take one sighting through the door (decide, maybe ask the server, record) on this thread; the
        answer comes to `done(Recorded)`, once it is on disk, or to `failed(exception)`."""
        return self.submit(lambda _store: door.present(sighting), done, failed)

    def _run(self) -> None:
        cpus.confine_this_thread("foreground")  # scans are decided here: off the sync's CPU
        while True:
            item = self._queue.get()
            if item is None:
                return
            ticket, job = item
            self._finished.emit(ticket, _run_job(self.store, job))

    def _deliver(self, ticket: int, outcome: _Outcome) -> None:
        done, failed = self._callbacks.pop(ticket, (None, None))
        result, error = outcome.result, outcome.error
        if error is not None:
            if failed is not None:
                failed(error)
            else:
                log.error("%s job failed: %s", self.name, error)
            return
        if done is not None:
            done(result)


def failure_text(error: BaseException) -> str:
    """The store's own sentence for a StoreError; the exception's name and text for anything else."""
    return str(error) if isinstance(error, StoreError) else f"{type(error).__name__}: {error}"


def _run_job(store: KioskStore, job: Job) -> _Outcome:
    """Run one job; any exception is handed back (fail closed: the caller decides what it means)."""
    try:
        return _Outcome(job(store), None)
    except Exception as exc:
        return _Outcome(None, exc)
