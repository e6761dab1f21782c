"""KioskStore: the one door to the kiosk's database. Everything above the store goes through here.

Opening checks the schema (upgrades an older one, refuses a newer one), the code key, the file's
integrity (kiosk/store/opening.py); every write that matters is one transaction that also extends
the audit chain.

This module keeps the store as a whole: its files and engines, its transactions, the checks of its
files, and the scans-first rule for bulk work. What the store holds is reached through its parts
(kiosk/store/parts/), hung off it as attributes: store.settings, store.guards, store.bookings,
store.audit, store.decisions, store.retention.

Two files (store/engine.py): the database file holds what the kiosk itself records (events, audit
chain, outbox, guards, settings); the booking feed (bookings, sync state) is in a file beside it,
attached as schema `feed`. A scan reads both and writes only the first, so the sync writing the
feed never holds a lock a scan waits for. SQLite in WAL mode commits a transaction over both files
file by file (the database file first): what writes both is made safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from kiosk.store import locks as db_locks
from kiosk.store.audit import anchor_path_for
from kiosk.store.codes import CodeHasher
from kiosk.store.engine import (
    BUSY_TIMEOUT_MS,
    IMMEDIATE,
    IMMEDIATE_BOTH,
    IMMEDIATE_MAIN,
    Synchronous,
    feed_path_for,
    make_engine,
    make_feed_engine,
)
from kiosk.store.errors import StoreError, explain_sqlite_error
from kiosk.store.opening import OPEN_HERE, open_store, quick_check
from kiosk.store.parts.audit import Audit
from kiosk.store.parts.bookings import Bookings
from kiosk.store.parts.decisions import Decisions
from kiosk.store.parts.guards import Guards
from kiosk.store.parts.retention import Retention
from kiosk.store.parts.settings import CurrentSettings, Settings
from kiosk.store.receipts import receipt_path_for

__all__ = ["KioskStore", "StoreError"]

log = logging.getLogger(__name__)

#: The longest a step of bulk work waits for scans to finish; after such a wait the next steps, for as
#: long again, do not wait: a gate that never rests slows the sync to half speed at worst, never stops it.
MAX_YIELD_S = 0.1


class KioskStore:
    def __init__(self, path: Path, engine: Engine, hasher: CodeHasher, busy_timeout_ms: int | None = None) -> None:
        self.path = path
        #: The booking feed's file, attached to `engine` as schema `feed`.
        self.feed_path = feed_path_for(path)
        self.engine = engine
        self.hasher = hasher
        self.anchor_path = anchor_path_for(path)
        self.receipt_path = receipt_path_for(path)
        #: (raw stored JSON, parsed) of the settings every scan needs; see parts.settings.Settings.current().
        self._settings_cache: tuple[tuple[str | None, ...], CurrentSettings] | None = None
        self._busy_timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        #: The writer queue and the scan signal of this file, shared by every KioskStore on it in every
        #: process (kiosk/store/locks.py); released by close(), or when the store is collected.
        self._locks = db_locks.locks_of(path)
        self._release_locks = weakref.finalize(self, db_locks.release, self._locks)
        #: The feed file's writer queue (the sync's transactions queue there, not on the database's).
        self._feed_locks = db_locks.locks_of(self.feed_path)
        self._release_feed_locks = weakref.finalize(self, db_locks.release, self._feed_locks)
        #: The synchronous=NORMAL engine of bulk_writing() and the feed file's own engines of
        #: feed_writing(), made at their first use.
        self._bulk_engine: Engine | None = None
        self._feed_engines: dict[Synchronous, Engine] = {}
        self._bulk_engine_lock = threading.Lock()
        #: yield_to_scans() does not wait before this time.monotonic() (see MAX_YIELD_S).
        self._yield_holdoff_until = 0.0
        #: Set when PRAGMA quick_check failed on this store (check_files()): from then on nothing is
        #: decided or recorded through it (fail closed) until the files are opened again.
        self._failed_check: str | None = None
        #: This process has the files open while a store is on them (see kiosk/store/opening.py).
        OPEN_HERE.add(path)
        self._forget_open = weakref.finalize(self, OPEN_HERE.remove, path)

    @classmethod
    def open(
        cls, path: Path | str, *, create: bool = True, upgrade: bool = True, busy_timeout_ms: int | None = None
    ) -> KioskStore:
        """Open (or create) the database at `path`. Raises StoreError with a clear message on any problem.

        A file that is not a kiosk database, or one from a newer kiosk, is refused before anything is
        written to it (kiosk/store/opening.py). `busy_timeout_ms` is how long a write waits for another
        writer's lock."""
        return open_store(cls, path, create=create, upgrade=upgrade, busy_timeout_ms=busy_timeout_ms)

    # --- the parts ----------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """Identity, office rules, sync state (kiosk/store/parts/settings.py)."""
        return Settings(self)

    @property
    def guards(self) -> Guards:
        """The console's guards and their PIN checks (kiosk/store/parts/guards.py)."""
        return Guards(self)

    @property
    def bookings(self) -> Bookings:
        """The booking file: imports, count, trust (kiosk/store/parts/bookings.py)."""
        return Bookings(self)

    @property
    def audit(self) -> Audit:
        """The audit chain, its head file, the server's receipts (kiosk/store/parts/audit.py)."""
        return Audit(self)

    @property
    def decisions(self) -> Decisions:
        """Scans decided and recorded, the outbox (kiosk/store/parts/decisions.py)."""
        return Decisions(self)

    @property
    def retention(self) -> Retention:
        """Purging personal data, and where it is kept (kiosk/store/parts/retention.py)."""
        return Retention(self)

    # --- the store as a whole -----------------------------------------------------------------------

    @property
    def busy_timeout_ms(self) -> int:
        """How long a write waits for another writer (see open())."""
        return self._busy_timeout_ms

    def close(self) -> None:
        self.engine.dispose()
        self._forget_open()
        self._release_locks()
        self._release_feed_locks()
        with self._bulk_engine_lock:
            engines = [self._bulk_engine, *self._feed_engines.values()]
            self._bulk_engine = None
            self._feed_engines.clear()
        for engine in engines:
            if engine is not None:
                engine.dispose()

    def __enter__(self) -> KioskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writing(self, *, feed: bool = False) -> Iterator[Connection]:
        """One write transaction holding the database file's write lock from its first statement (as
        BEGIN IMMEDIATE would). `feed=True`: it also writes the booking feed's file, and holds that
        file's lock from the start too (imports, purges, enrolment; never a scan). The two files are
        committed one after the other, the database file first: such a write must be safe to repeat.

        Database errors leave it as StoreError with a message for people (locked, read-only, disk full,
        damaged); the transaction is rolled back."""
        if feed:
            with self._write_transaction(self.engine, (self._locks, self._feed_locks), IMMEDIATE_BOTH) as connection:
                yield connection
        else:
            with self._write_transaction(self.engine) as connection:
                yield connection

    @contextmanager
    def feed_writing(self, *, durable: bool = False) -> Iterator[Connection]:
        """A write transaction on the booking feed's file alone (the sync): it queues on that file's
        writer lock, so it never holds one a scan waits for. Not flushed to disk before it returns
        (synchronous=NORMAL, see bulk_writing() for why that is safe for feed pages) unless `durable`.
        The models' schema `feed` is this connection's main schema; the database file is not here."""
        with self._write_transaction(self._feed(durable), (self._feed_locks,), True, self.feed_path) as connection:
            yield connection

    @contextmanager
    def bulk_writing(self) -> Iterator[Connection]:
        """A write transaction like writing(), whose commit is not flushed to disk before it returns
        (a second engine, PRAGMA synchronous=NORMAL). For the booking feed only: kiosk.sync.apply writes
        each page with it, in short transactions, the page's cursor with its last one.

        Why that is safe there, and why nothing else may use it. In WAL mode a NORMAL commit is exactly
        as atomic as a FULL one and keeps its place in the log; only the flush (fsync) is left to the
        next FULL commit, to a checkpoint or to the operating system. A power cut can therefore lose the
        newest commits, each one whole, and never an older one while keeping a newer one: SQLite recovers
        the log up to its last complete commit. For feed pages that costs nothing: a page's rows go in
        with or before its cursor, so what is lost is re-fetched from the cursor that survived, and
        every write of a page can be applied again (a newer or equal version wins). Every scan's commit
        (FULL) flushes the log up to itself, so a scan on disk never outlives the page it was decided
        on. Scan events, the outbox, settings and everything else audited keep synchronous=FULL.

        What is gained: a FULL commit holds the write lock (which every scan needs) through an fsync;
        here the flush happens later, outside the lock: checkpoint(). The caller moves the audit head
        file past an entry committed here only once checkpoint() has said it is on disk (a power cut
        must not leave the file naming an entry the database lost: that reads as a cut-off chain)."""
        with self._write_transaction(self._bulk()) as connection:
            yield connection

    @contextmanager
    def _write_transaction(
        self,
        engine: Engine,
        locks: tuple[db_locks.DatabaseLocks, ...] | None = None,
        immediate: bool | str = IMMEDIATE_MAIN,
        path: Path | None = None,
    ) -> Iterator[Connection]:
        """BEGIN IMMEDIATE on `engine`, once the writers before it are done: every KioskStore on the file,
        in this process and in others (the sync's process, a `kiosk` command), queues on the file's
        writer lock (kiosk/store/locks.py), which lets the next writer go the moment the last one has
        committed. (SQLite's own wait for its write lock polls, sleeping 1, 2, 5, 10... ms: a scan that
        met a sync transaction of one millisecond would lose three.) Programs that do not use
        KioskStore meet SQLite's lock and busy timeout as before."""
        path = path or self.path
        try:
            with ExitStack() as held:
                for lock in locks or (self._locks,):  # always in the same order: the database's, the feed's
                    held.enter_context(lock.writer(self._busy_timeout_ms / 1000))
                try:
                    with engine.connect().execution_options(**{IMMEDIATE: immediate}) as connection, connection.begin():
                        yield connection
                except (SQLAlchemyError, sqlite3.Error) as exc:
                    raise StoreError(explain_sqlite_error(path, exc)) from exc
        except db_locks.WriterTimeoutError as exc:
            who = "another program" if exc.other_process else "another writer of this program"
            raise StoreError(
                f"the database {path} is locked by {who} for more than {self._busy_timeout_ms} ms; try again"
            ) from exc

    def _bulk(self) -> Engine:
        with self._bulk_engine_lock:
            if self._bulk_engine is None:
                self._bulk_engine = make_engine(
                    self.path, self._busy_timeout_ms, synchronous="NORMAL", feed=self.feed_path
                )
            return self._bulk_engine

    def _feed(self, durable: bool) -> Engine:
        synchronous: Synchronous = "FULL" if durable else "NORMAL"
        with self._bulk_engine_lock:
            engine = self._feed_engines.get(synchronous)
            if engine is None:
                engine = make_feed_engine(self.feed_path, self._busy_timeout_ms, synchronous=synchronous)
                self._feed_engines[synchronous] = engine
            return engine

    def checkpoint(self, *, feed_only: bool = False) -> bool:
        """Copy the WALs into their files and flush them to disk, now, on the caller's thread (the
        booking file's only, with `feed_only`). PASSIVE: it neither waits for nor blocks any writer, so
        the gate's scans go on meanwhile. True when the whole WAL was copied: then every commit made
        before the call, bulk_writing()'s and feed_writing()'s included, is on disk (and the audit head
        file may name it, audit.write_anchor()).

        The sync calls it after each of its transactions, outside them: so the WALs stay short, and no
        scan's commit crosses SQLite's auto-checkpoint threshold (1,000 pages) and does this copying
        while a person waits. The database file's (the scans' own pages) once per page is enough, and
        less often means fewer flushes of the file a scan's commit is flushing too. When a reader
        still uses an old snapshot part of a WAL stays; it is copied by a later call."""
        complete = True
        files = (("feed", self.feed_path),) if feed_only else (("main", self.path), ("feed", self.feed_path))
        try:
            raw = self._bulk().raw_connection()
            try:
                cursor = raw.cursor()
                for schema, path in files:
                    busy, frames, copied = cursor.execute(f"PRAGMA {schema}.wal_checkpoint(PASSIVE)").fetchone()
                    if busy or frames < 0 or copied != frames:
                        log.debug("WAL checkpoint of %s incomplete: %s of %s frames", path, copied, frames)
                        complete = False
                cursor.close()
            finally:
                raw.close()
        except (SQLAlchemyError, sqlite3.Error) as exc:
            log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
            return False
        return complete

    # --- file checks -------------------------------------------------------------------------------

    def check_files(self) -> str | None:
        """PRAGMA quick_check on both files (the database and the booking file). None: both are sound.
        Otherwise the problem, for people; the store remembers it, and from then on refuses to decide
        or record anything (record(), record_decided(), decide_only(), a guard's override raise
        StoreError) until the files are opened again. A sound booking file older than this database
        last saw is noted once in the audit chain (bookings.note_feed_rollback()), not a problem here: its
        codes go to the officer (STALE_DATA), the kiosk is not out of order. The kiosk runs this now
        and then on its reader thread (kiosk/ui/controller.py), never on the GUI thread: it reads
        every page."""
        try:
            problem = quick_check(self.engine)
        except (SQLAlchemyError, sqlite3.Error) as exc:
            problem = explain_sqlite_error(self.path, exc)
        except StoreError as exc:
            problem = str(exc)
        if problem is not None:
            log.error("the database check failed; nothing is admitted until it is restored: %s", problem)
            self._failed_check = problem
            return problem
        try:  # a booking file put back from an older copy while the kiosk runs: evidence, once
            self.bookings.note_feed_rollback(dt.datetime.now(dt.UTC))
        except StoreError as exc:
            log.warning("could not note a rolled-back booking file: %s", exc)
        return problem

    @property
    def failed_check(self) -> str | None:
        """The problem a check_files() found on this store (None: none found)."""
        return self._failed_check

    def refuse_if_damaged(self) -> None:
        """Raise StoreError when a check of the files failed since they were opened (fail closed)."""
        if self._failed_check is not None:
            problem = self._failed_check
            raise StoreError(f"the database check failed, nothing is admitted until it is restored: {problem}")

    # --- scans first ---------------------------------------------------------------------------------

    @contextmanager
    def scanning(self) -> Iterator[None]:
        """Mark a scan being decided and recorded: bulk work on this database, in this process or
        another one, steps aside until it is done (yield_to_scans()). record() and decide_only() mark
        themselves."""
        with self._locks.scan():
            yield

    def scan_waiting(self) -> bool:
        """Is a scan being decided on this database, in this process or another? Bulk work asks between
        small steps inside a transaction, and commits early so that the scan's commit can go next."""
        return self._locks.busy()

    def yield_to_scans(self, max_wait_s: float = MAX_YIELD_S, clock: Callable[[], float] = time.monotonic) -> None:
        """Between two steps of bulk work (the sync): wait while a scan is being decided on this
        database, in this process or another (at most `max_wait_s`), then let other threads run.

        A scan's time is mostly Python, which needs the GIL that the sync's thread otherwise holds
        for up to the interpreter's switch interval (5 ms) at a time, and a commit, which needs the
        write lock. Waiting here, with neither held, the sync's thread takes none of them from a scan
        in progress; a scan waits at most for the one step under way when it began. (`clock`: the
        monotonic clock the hold-off is measured on; tests pass their own.)"""
        if clock() >= self._yield_holdoff_until and not self._locks.wait_quiet(max_wait_s):
            self._yield_holdoff_until = clock() + max_wait_s
        time.sleep(0)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection, connection.begin():
                yield connection
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(explain_sqlite_error(self.path, exc)) from exc

    def integrity_ok(self) -> bool:
        with self.reading() as connection:
            return connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
