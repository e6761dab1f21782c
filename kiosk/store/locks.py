"""Scans first, across threads and processes: the writer queue and the "scan running" signal of one
kiosk database file.

Every KioskStore on a file, in every process, shares them:

* **The writer queue.** A write transaction first takes an in-process lock (threading.RLock, one per
  file and process: it wakes the next writer of the process the moment the last one is done), then,
  at its outermost acquire, an exclusive flock() on ``<db>.lock`` beside the database: the writers of
  other processes (the sync's own process, a `kiosk` command) queue there. SQLite's own wait for its
  write lock polls, sleeping 1, 2, 5, 10... ms; this one looks every 0.2 ms for the first 5 ms (a scan
  meets at most one short step of bulk work), then every millisecond, up to the busy timeout.
* **Scans running.** While a scan is being decided in a process, that process holds a read lock on
  ``<db>.scans`` (an open-file-description lock, fcntl F_OFD_SETLK); bulk work elsewhere asks whether
  a write lock could be placed (F_OFD_GETLK, which takes nothing) and steps aside while it could not.
  Asking takes nothing, so a niced sync process that asks thousands of times per second can never be
  caught holding something that makes a scan wait. (Unix without OFD locks: flock(), shared for the
  scan, a non-blocking exclusive attempt to ask, which holds it for an instant.)

Both files are made with the database's first KioskStore (mode 0600, empty, never read); a stale one
is harmless, since the kernel drops a process's flocks when it ends, however it ends. Where flock()
does not exist (Windows), or the files cannot be made (a read-only folder), only the in-process half
works: other programs then meet SQLite's lock and busy timeout, as before.
"""

from __future__ import annotations

import logging
import os
import struct
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

_fcntl: ModuleType | None
try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows: in-process queueing only
    _fcntl = None

#: How often a waiting writer looks at the lock file: quickly at first (the holder is most likely a
#: step of bulk work of a fraction of a millisecond), then every millisecond.
_FAST_POLL_S = 0.0002
_FAST_PHASE_S = 0.005
_SLOW_POLL_S = 0.001
#: How often bulk work looks whether another process's scan has ended.
_QUIET_POLL_S = 0.0005
#: Open-file-description record locks (Linux 3.15+): struct flock as the kernel reads it, native layout
#: (l_type, l_whence, l_start, l_len, l_pid); 64-bit offsets, as Python is built with.
_OFD = _fcntl is not None and sys.platform.startswith("linux") and hasattr(_fcntl, "F_OFD_GETLK")
_FLOCK_STRUCT = "hhqqi"


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def scans_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".scans")


class WriterTimeoutError(Exception):
    """The writer lock was not free within the timeout. `other_process`: held by another process."""

    def __init__(self, other_process: bool) -> None:
        super().__init__("other process" if other_process else "this process")
        self.other_process = other_process


class DatabaseLocks:
    """The writer queue and the scan signal of one database file, in this process (see the module)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writers = threading.RLock()
        self._depth = 0  # nested acquires by the thread holding _writers
        self._scans = 0
        self._quiet = threading.Condition(threading.Lock())
        self._lock_fd = _open_flag_file(lock_path_for(path))
        self._scans_fd = _open_flag_file(scans_path_for(path))
        self._probe_fd = _open_flag_file(scans_path_for(path)) if self._scans_fd is not None else None
        self._scan_flagged = False
        self.users = 0

    @property
    def across_processes(self) -> bool:
        return self._lock_fd is not None

    def close(self) -> None:
        for fd in (self._lock_fd, self._scans_fd, self._probe_fd):
            if fd is not None:
                os.close(fd)  # closing drops any flock held through it
        self._lock_fd = self._scans_fd = self._probe_fd = None

    # --- the writer queue ---------------------------------------------------------------------------

    @contextmanager
    def writer(self, timeout_s: float) -> Iterator[None]:
        """Hold the write turn on this file (re-entrant within a thread). Raises WriterTimeoutError."""
        deadline = time.monotonic() + timeout_s
        if not self._writers.acquire(timeout=timeout_s):
            raise WriterTimeoutError(other_process=False)
        try:
            if self._depth == 0 and self._lock_fd is not None and not _flock_wait(self._lock_fd, deadline):
                raise WriterTimeoutError(other_process=True)
        except BaseException:
            self._writers.release()
            raise
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._lock_fd is not None:
                _unlock(self._lock_fd)
            self._writers.release()

    # --- scans running ------------------------------------------------------------------------------

    @contextmanager
    def scan(self) -> Iterator[None]:
        """Mark a scan running in this process, for bulk work here and in other processes."""
        with self._quiet:
            self._scans += 1
            if self._scans == 1:
                self._flag_scans()
        try:
            yield
        finally:
            with self._quiet:
                self._scans -= 1
                if not self._scans:
                    if self._scan_flagged:
                        self._unflag_scans()
                    self._scan_flagged = False
                    self._quiet.notify_all()

    def _flag_scans(self) -> None:
        """Mark this process as scanning, for other processes. Never waits: nobody holds a write lock
        on the scans file (with OFD locks nobody ever does; with flock() another process's probe holds
        it for an instant at most: after three tries this scan goes unflagged, and may then wait for
        one step of the other process's bulk work, nothing worse)."""
        if self._scans_fd is None or _fcntl is None:
            return
        for _ in range(3):
            try:
                if _OFD:
                    _record_lock(self._scans_fd, _fcntl.F_OFD_SETLK, _fcntl.F_RDLCK)
                else:  # pragma: no cover - Unix without OFD locks
                    _fcntl.flock(self._scans_fd, _fcntl.LOCK_SH | _fcntl.LOCK_NB)
            except BlockingIOError:  # pragma: no cover - flock() only
                continue
            except OSError as exc:  # pragma: no cover - locks refused by the file system
                log.debug("cannot flag a scan on %s: %s", self.path, exc)
                return
            self._scan_flagged = True
            return

    def _unflag_scans(self) -> None:
        if self._scans_fd is None or _fcntl is None:
            return
        if _OFD:
            _record_lock(self._scans_fd, _fcntl.F_OFD_SETLK, _fcntl.F_UNLCK)
        else:  # pragma: no cover - Unix without OFD locks
            _unlock(self._scans_fd)

    def busy(self) -> bool:
        """Is a scan running on this file, in this process or another one?"""
        return self._scans > 0 or self._scan_elsewhere()

    def _scan_elsewhere(self) -> bool:
        if self._probe_fd is None or _fcntl is None:
            return False
        try:
            if _OFD:  # ask, take nothing
                return bool(_record_lock(self._probe_fd, _fcntl.F_OFD_GETLK, _fcntl.F_WRLCK) != _fcntl.F_UNLCK)
            _fcntl.flock(self._probe_fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)  # pragma: no cover
        except BlockingIOError:  # pragma: no cover - flock() only
            return True
        except OSError as exc:  # pragma: no cover - locks refused by the file system
            log.debug("cannot look for scans on %s: %s", self.path, exc)
            return False
        _unlock(self._probe_fd)  # pragma: no cover - flock() only
        return False  # pragma: no cover - flock() only

    def wait_quiet(self, timeout_s: float) -> bool:
        """Wait until no scan is running on this file anywhere, at most `timeout_s`. False: one still was."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._quiet:
                if not self._quiet.wait_for(lambda: not self._scans, max(deadline - time.monotonic(), 0.0)):
                    return False
            if not self._scan_elsewhere():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(_QUIET_POLL_S, left))


_LOCKS: dict[Path, DatabaseLocks] = {}
_LOCKS_GUARD = threading.Lock()


def locks_of(path: Path) -> DatabaseLocks:
    """The locks of the database at `path` in this process; release with release() (KioskStore.close())."""
    key = path.resolve()
    with _LOCKS_GUARD:
        locks = _LOCKS.get(key)
        if locks is None:
            locks = _LOCKS[key] = DatabaseLocks(key)
        locks.users += 1
        return locks


def release(locks: DatabaseLocks) -> None:
    """One user fewer; the last one closes the lock files (the next KioskStore opens them again)."""
    with _LOCKS_GUARD:
        locks.users -= 1
        if locks.users > 0 or _LOCKS.get(locks.path) is not locks:
            return
        del _LOCKS[locks.path]
        locks.close()


def _open_flag_file(path: Path) -> int | None:
    if _fcntl is None:  # pragma: no cover - Windows
        return None
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        log.warning(
            "cannot open the lock file %s (%s): writers of other programs on this database queue on SQLite's "
            "lock only, and a scan in this program does not hold back their bulk work",
            path,
            exc.strerror or exc,
        )
        return None


def _flock_wait(fd: int, deadline: float) -> bool:
    """An exclusive flock on `fd`, polling until `deadline` (flock itself has no timeout)."""
    assert _fcntl is not None
    began = time.monotonic()
    while True:
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        except OSError as exc:  # pragma: no cover - flock refused by the file system: SQLite's lock remains
            log.debug("cannot lock %d for writing: %s", fd, exc)
            return True
        now = time.monotonic()
        if now >= deadline:
            return False
        time.sleep(min(_FAST_POLL_S if now - began < _FAST_PHASE_S else _SLOW_POLL_S, deadline - now))


def _record_lock(fd: int, command: int, kind: int) -> int:
    """fcntl() record lock on the whole file; the l_type the kernel answers (F_GETLK: F_UNLCK if free)."""
    assert _fcntl is not None
    answer = _fcntl.fcntl(fd, command, struct.pack(_FLOCK_STRUCT, kind, os.SEEK_SET, 0, 0, 0))
    return int(struct.unpack(_FLOCK_STRUCT, answer)[0])


def _unlock(fd: int) -> None:
    assert _fcntl is not None
    _fcntl.flock(fd, _fcntl.LOCK_UN)
