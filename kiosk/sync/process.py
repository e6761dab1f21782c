"""The sync in its own process, so that it never takes Python's GIL or the CPU from the gate's scans.

In the kiosk's process the sync competes with every scan for the GIL (parsing a page of 500 bookings
holds it some 2.5 ms; the cyclic garbage collector stops every thread for its full collections) and
for the CPU. In a child process started with multiprocessing's "spawn", at a lower priority
(os.nice(NICE)) and kept to one CPU (kiosk/runtime/cpus.py: the deciding thread keeps to the others),
it has its own interpreter and runs when the gate does not need the CPU. What stays
shared is the database file; its writer queue and "scan running" signal work across processes
(kiosk/store/locks.py), so scans still go first.

    runner = SyncProcess(db_path, client_options={"timeout_s": 10})
    result = runner.sync_once(health)  # SyncResult, or raises as SyncClient.sync_once() would
    runner.status(); runner.check_clock(); runner.close()

The child opens its own KioskStore on the same file and a SyncClient with the same options, looks at
the clock once (ClockWatch: a clock set back while the kiosk was off), freezes what start-up allocated
out of the garbage collector's way (gc.freeze()), and serves one command at a time over a Pipe. It is
started at the first call, and again at the first call after it died. A command may carry arguments
(sync_once: the kiosk process's part of its health, a dict of plain values).

Errors keep their meaning: NotEnrolledError, KioskRevokedError, TransientError (with `retry_after_s`)
and the other SyncErrors come back as themselves, a StoreError as a StoreError, anything else as
RemoteError ("TypeName: message"; the child logs its traceback). A child that dies (a crash, kill -9),
hangs (no progress for `idle_timeout_s`) or cannot start ends the call with SyncProcessError, a
SyncError, so the caller backs off and tries again; the next call starts a new child. interrupt(),
from any thread, ends a call under way at once (the child is ended; every sync step can be cut short,
see kiosk/sync/apply.py) and refuses later ones, for a prompt shutdown.

Everything the child logs reaches the kiosk's log: its records travel over the same pipe and are
handled by the logger of the same name here, with the levels the kiosk's loggers had when the child
started. Its process name in the records is "kiosk-sync".

Frozen builds (PyInstaller) must call multiprocessing.freeze_support() first thing in their entry
point (kiosk/__main__.py does).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.runtime import cpus
from kiosk.runtime.supervisor import (
    ChildDiedError,
    ChildInterruptedError,
    ChildSilentError,
    ChildStartError,
    Supervisor,
)
from kiosk.store.db import KioskStore, StoreError
from kiosk.sync.client import (
    KioskRevokedError,
    NotEnrolledError,
    ResponseRefusedError,
    SyncClient,
    SyncError,
    SyncResult,
    TransientError,
    UnauthorisedError,
)
from kiosk.sync.clockwatch import ClockWatch
from kiosk.sync.state import SyncStatus

log = logging.getLogger(__name__)

#: The child's priority, as an increment of the kiosk's niceness (19: the lowest). The gate's scans
#: then get the CPU whenever they want it; an idle kiosk gives the sync all it needs.
NICE = 19
START_TIMEOUT_S = 60.0  # spawn and imports on a slow, busy kiosk
#: A sync that makes no progress (no page applied, no batch uploaded) for this long is hung: the
#: child is ended. Each request has its own, shorter timeout (SyncClient's timeout_s).
IDLE_TIMEOUT_S = 300.0
CALL_TIMEOUT_S = 60.0  # status, check_clock: a few reads, at worst a wait for the write lock
CLOSE_TIMEOUT_S = 5.0
TERMINATE_S = 2.0  # for a child to end after SIGTERM, before SIGKILL
POLL_S = 0.1  # how often a waiting call looks at interrupt() where it cannot be woken (no pipes)
#: The child's progress notes, at most one per this many seconds, or per a quarter of the idle
#: timeout if that is shorter (see _Sender.progress()).
PROGRESS_EVERY_S = 1.0
PROCESS_NAME = "kiosk-sync"
#: The child's GIL switch interval (Python's default: 5 ms). Its main thread writes to the database,
#: holding the file's writer lock that the gate's scans wait for, while its prefetch thread reads the
#: next page; the writer must never wait 5 ms for the GIL with the lock in hand.
SWITCH_INTERVAL_S = 0.0005

_SYNC_ERRORS: dict[str, type[SyncError]] = {
    cls.__name__: cls
    for cls in (SyncError, TransientError, ResponseRefusedError, NotEnrolledError, UnauthorisedError, KioskRevokedError)
}


class SyncProcessError(SyncError):
    """The sync process died, hung, was interrupted or could not be started. Try again later."""


class SyncProcessStartError(SyncProcessError):
    """The sync process could not be started at all (spawn refused, it died or hung before ready)."""


class RemoteError(Exception):
    """An exception in the sync process that is neither a SyncError nor a StoreError (a bug)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


@dataclass(frozen=True, slots=True)
class _Failure:
    """An exception, as it crosses the pipe."""

    type_name: str
    message: str
    retry_after_s: float | None = None

    @classmethod
    def of(cls, exc: BaseException) -> _Failure:
        name = type(exc).__name__
        if isinstance(exc, SyncError):
            name = next(c.__name__ for c in type(exc).__mro__ if c.__name__ in _SYNC_ERRORS)
        return cls(name, str(exc), getattr(exc, "retry_after_s", None))

    def rebuild(self) -> Exception:
        if self.type_name == TransientError.__name__:
            return TransientError(self.message, self.retry_after_s)
        if self.type_name in _SYNC_ERRORS:
            error = _SYNC_ERRORS[self.type_name](self.message)
            error.retry_after_s = self.retry_after_s
            return error
        if self.type_name == StoreError.__name__:
            return StoreError(self.message)
        return RemoteError(self.type_name, self.message)


class SyncProcess:
    """The parent's side: starts, talks to, watches and ends the sync's child process (through
    kiosk/runtime/supervisor.py). Calls come from one thread (the sync worker's); interrupt() may come
    from any.

    `idle_timeout_s` (public, may be changed between calls; the child started next gets its progress
    interval from it): how long sync_once() waits without a sign of progress before the child counts as
    hung."""

    def __init__(
        self,
        db_path: Path | str,
        *,
        client_options: dict[str, Any] | None = None,
        busy_timeout_ms: int | None = None,
        nice: int = NICE,
        start_timeout_s: float = START_TIMEOUT_S,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        call_timeout_s: float = CALL_TIMEOUT_S,
        poll_s: float = POLL_S,
    ) -> None:
        self.db_path = Path(db_path)
        self.idle_timeout_s = idle_timeout_s
        self._options = dict(client_options or {})
        self._busy_timeout_ms = busy_timeout_ms
        self._nice = nice
        self._start_timeout_s = start_timeout_s
        self._call_timeout_s = call_timeout_s
        self._seq = 0
        # SIGTERM first: nothing in the child ignores it; interrupt() wakes a waiting call at once
        self._child = Supervisor(PROCESS_NAME, terminate_s=TERMINATE_S, interruptible=True, poll_s=poll_s)

    # --- commands -----------------------------------------------------------------------------------

    def sync_once(self, health: Mapping[str, Any] | None = None) -> SyncResult:
        """One sync in the child; raises what SyncClient.sync_once() raises, or SyncProcessError.
        `health`: the kiosk process's part of its health (plain values: it crosses the pipe), which
        the client sends with what the store knows (SyncClient.sync_once)."""
        result = self._call("sync_once", self.idle_timeout_s, dict(health) if health else None, progress_resets=True)
        assert isinstance(result, SyncResult)
        return result

    def status(self) -> SyncStatus:
        status = self._call("status", self._call_timeout_s)
        assert isinstance(status, SyncStatus)
        return status

    def check_clock(self) -> float:
        """ClockWatch.check() in the child: seconds the wall clock jumped since the last check."""
        return float(self._call("check_clock", self._call_timeout_s))

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._child.pid if self._child.running else None

    def start(self) -> None:
        """Start the child now (calls start it when needed). Raises SyncProcessStartError, or the
        StoreError the child met opening the database."""
        if self._child.interrupted:
            raise SyncProcessError("the sync is stopping")
        if self._child.running:
            return
        levels = {"": logging.getLogger().getEffectiveLevel(), "kiosk": logging.getLogger("kiosk").getEffectiveLevel()}
        progress_every_s = min(PROGRESS_EVERY_S, self.idle_timeout_s / 4)
        arguments = (str(self.db_path), self._options, self._busy_timeout_ms, self._nice, levels, progress_every_s)
        try:
            self._child.start(_serve, arguments)
        except ChildStartError as exc:  # spawn refused, or options that cannot be pickled
            raise SyncProcessStartError(f"cannot start the sync process: {exc}") from exc
        except ChildInterruptedError as exc:  # interrupt() since the look above
            raise SyncProcessStartError("the sync was stopped") from exc
        try:
            pid = self._wait(0, self._start_timeout_s, starting=True)
        except SyncProcessError as exc:
            raise SyncProcessStartError(str(exc)) from exc
        log.debug("sync process %s started", pid)

    def interrupt(self) -> None:
        """From any thread: end the call under way at once (the child is ended) and refuse later
        calls. For shutting the kiosk down; close() afterwards."""
        self._child.interrupt()

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Ask the child to close its store and end; end it if it does not within `timeout_s`."""
        self._seq += 1
        self._child.stop((self._seq, "close"), timeout_s)

    def __enter__(self) -> SyncProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the pipe -----------------------------------------------------------------------------------

    def _call(self, command: str, timeout_s: float, *args: Any, progress_resets: bool = False) -> Any:
        self.start()
        self._seq += 1
        try:
            self._child.send((self._seq, command, *args))
        except ChildDiedError as exc:
            raise SyncProcessError(f"the sync process is gone ({exc}); it starts again at the next attempt") from exc
        return self._wait(self._seq, timeout_s, progress_resets=progress_resets)

    def _wait(self, seq: int, timeout_s: float, *, starting: bool = False, progress_resets: bool = False) -> Any:
        """The answer to request `seq` (0: the child's "ready"), handling log records and progress
        notes on the way. The child is ended, and SyncProcessError raised, when it dies, stays silent
        for `timeout_s` or interrupt() is called."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                kind, number, value = self._child.receive(deadline - time.monotonic())
            except ChildInterruptedError:
                raise SyncProcessError("the sync was stopped") from None
            except ChildSilentError:
                what = "start" if starting else "answer"
                raise SyncProcessError(
                    f"the sync process did not {what} within {timeout_s:.0f} s; it was ended"
                ) from None
            except ChildDiedError as exc:
                when = "while starting" if starting else "unexpectedly"
                raise SyncProcessError(
                    f"the sync process ended {when} (exit code {exc.exitcode}); it starts again at the next attempt"
                ) from None
            if kind == "log":
                _handle_record(value)
            elif kind == "progress":
                if progress_resets:
                    deadline = time.monotonic() + timeout_s
            elif number != seq:
                log.debug("late answer %s to request %s from the sync process dropped", kind, number)
            elif kind in ("ok", "ready"):
                return value
            elif kind == "error":
                raise value.rebuild()


def _handle_record(fields: dict[str, Any]) -> None:
    """A record from the child, handled here as it was made there (its time, process and thread names).
    Not logging.makeLogRecord(): that would first fill in this thread's details."""
    record = logging.LogRecord.__new__(logging.LogRecord)
    record.__dict__.update(fields)
    logging.getLogger(record.name).handle(record)


# --- the child ----------------------------------------------------------------------------------------


class _Sender:
    """The child's one way to the kiosk: answers, progress notes and log records, from any thread."""

    def __init__(
        self,
        conn: multiprocessing.connection.Connection,
        *,
        progress_every_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._progress_every_s = progress_every_s
        self._clock = clock
        self._progress_sent_at: float | None = None

    def send(self, kind: str, number: int, value: Any) -> None:
        with self._lock:
            self._conn.send((kind, number, value))

    def progress(self) -> None:
        """A progress note, at most one per `progress_every_s`. It only keeps the kiosk's idle timeout
        (minutes; the kiosk gives a quarter of it at most) from running out, and each note wakes a
        thread of the kiosk's process, which then takes the GIL from a scan being decided: a first
        sync makes progress some 30 times a second."""
        now = self._clock()
        if self._progress_sent_at is None or now - self._progress_sent_at >= self._progress_every_s:
            self._progress_sent_at = now
            self.send("progress", 0, None)


class _PipeHandler(logging.Handler):
    def __init__(self, sender: _Sender) -> None:
        super().__init__()
        self._sender = sender

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # as logging.handlers.QueueHandler.prepare(): message and traceback as text, nothing else to pickle
            fields = dict(record.__dict__)
            fields.update(msg=self.format(record), args=None, exc_info=None, exc_text=None, stack_info=None)
            fields = {key: value for key, value in fields.items() if _plain(value)}
            self._sender.send("log", 0, fields)
        except Exception:  # the kiosk is gone, or a record that cannot travel: never fail the sync for it
            self.handleError(record)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _serve(
    conn: multiprocessing.connection.Connection,
    db_path: str,
    options: dict[str, Any],
    busy_timeout_ms: int | None,
    nice: int,
    levels: dict[str, int],
    progress_every_s: float = 0.0,
) -> None:
    """The child's main: open the store and the client, then answer commands until "close" or until
    the kiosk's end of the pipe closes (the kiosk ended)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the kiosk, which ends this
    sender = _Sender(conn, progress_every_s=progress_every_s)
    handler = _PipeHandler(sender)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.raiseExceptions = False  # a record that cannot be sent is dropped quietly
    root = logging.getLogger()
    root.addHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    _lower_priority(nice)
    cpus.confine_this_thread("background")  # before any other thread starts: they inherit it
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        store = KioskStore.open(db_path, create=False, busy_timeout_ms=busy_timeout_ms)
    except BaseException as exc:
        with contextlib.suppress(OSError, ValueError):
            sender.send("error", 0, _Failure.of(exc))
        return
    client = SyncClient(store, **options, progress=sender.progress)
    try:
        watch = ClockWatch(store)
        try:
            watch.check()  # at start: a clock that reads earlier than the last sync was set back
        except Exception:
            log.exception("clock check at start failed")
        commands: dict[str, Callable[[], Any]] = {
            "sync_once": client.sync_once,
            "status": client.status,
            "check_clock": watch.check,
        }
        gc.collect()
        gc.freeze()  # start-up's objects (modules, the store) out of every later collection's way
        sender.send("ready", 0, os.getpid())
        _answer(conn, sender, commands)
    except (OSError, EOFError, ValueError):
        pass  # the kiosk is gone: nobody to answer
    finally:
        client.close()
        store.close()


def _answer(
    conn: multiprocessing.connection.Connection, sender: _Sender, commands: dict[str, Callable[[], Any]]
) -> None:
    while True:
        try:
            number, command, *args = conn.recv()
        except EOFError:
            return
        if command == "close":
            return
        try:
            value = commands[command](*args)
        except Exception as exc:
            if not isinstance(exc, SyncError | StoreError):
                log.error("%s failed in the sync process:\n%s", command, traceback.format_exc().rstrip())
            sender.send("error", number, _Failure.of(exc))
        else:
            sender.send("ok", number, value)


def _lower_priority(nice: int) -> None:
    if nice <= 0:
        return
    if not hasattr(os, "nice"):  # pragma: no cover - Windows
        log.info("cannot lower the sync process's priority on this platform; it runs at the kiosk's")
        return
    try:
        niceness = os.nice(nice)
    except OSError as exc:  # pragma: no cover - refused by the system
        log.warning("cannot lower the sync process's priority: %s", exc)
        return
    log.debug("sync process running at niceness %d", niceness)
