"""KioskStore: the one door to the kiosk's database. Everything above the store goes through here.

Opening checks the schema (upgrades an older one, refuses a newer one), the code key, the file's
integrity; every write that matters is one transaction that also extends the audit chain.

Two files (store/engine.py): the database file holds what the kiosk itself records (events, audit
chain, outbox, guards, settings); the booking feed (bookings, sync state) is in a file beside it,
attached as schema `feed`. A scan reads both and writes only the first, so the sync writing the
feed never holds a lock a scan waits for. SQLite in WAL mode commits a transaction over both files
file by file (the database file first): what writes both is made safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

import kiosk
from kiosk.domain.clock import clock_trusted
from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Circumstances, Decision, OfficeRules
from kiosk.store import audit, feed_anchor, migrate, receipts, settings
from kiosk.store import bookings as booking_repo
from kiosk.store import guards as guard_repo
from kiosk.store import locks as db_locks
from kiosk.store.codes import CodeHasher, CodeKeyError, key_path_for, load_or_create_key
from kiosk.store.engine import (
    BUSY_TIMEOUT_MS,
    IMMEDIATE,
    IMMEDIATE_BOTH,
    IMMEDIATE_MAIN,
    Synchronous,
    driver,
    feed_path_for,
    make_engine,
    make_feed_engine,
)
from kiosk.store.recorder import Annotation, Recorded, decide_and_record, event_row, lookup, write_event
from kiosk.store.schema import BookingRow, OutboxRow, ScanEventRow, SyncStateRow
from kiosk.store.times import from_text, to_text

log = logging.getLogger(__name__)

KEY_FINGERPRINT = "codes.key_fingerprint"
SYNC_ENROLLED = "sync.enrolled"
MAX_CLOCK_OFFSET_S = 120.0
#: A clock reading this much earlier than the data it holds (sync_state.data_as_of, taken from this same
#: clock) was set back: distrusted like a clock far from the server's. The margin absorbs small
#: corrections (NTP steps) that are no reason to send everyone to the guard.
MAX_CLOCK_BEHIND_DATA = dt.timedelta(minutes=5)
DEFAULT_RETENTION_DAYS = 7


#: Set when the booking file was found missing and made again empty: {"at": when}. Until bookings
#: are imported again, unknown codes go to the officer (STALE_DATA) instead of being denied as not
#: registered: the kiosk knows its list is incomplete. (An enrolled kiosk refers them anyway until
#: its next full download: its data has no age.)
FEED_LOST = "feed.lost"
#: The server's newest finding about this kiosk's audit chain (KioskStore.note_server_alert()).
SERVER_ALERT = "audit.server_alert"
#: What a successful PIN check is for, and the audit entry it makes (KioskStore.authenticate()).
_AUTH_PURPOSES = {"login": "guard.login", "leave": "kiosk.leave", "verify": "guard.pin_verified"}
_SETTINGS_KEYS = (
    settings.RULES_KEY,
    settings.IDENTITY_KEY,
    SYNC_ENROLLED,
    FEED_LOST,
    feed_anchor.ANCHOR_KEY,
    feed_anchor.NOTED_KEY,
)
_SYNC_STATE_SQL = (
    f"SELECT server_offset_s, data_as_of, cursor, import_generation FROM {SyncStateRow.__tablename__} WHERE id = 1"
)
_BUILD_DATE = dt.date.fromisoformat(kiosk.BUILD_DATE)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100
_WAL_FORMAT = 2  # header bytes 18 and 19: file format write/read version 2 means WAL
#: What reading a damaged or hand-edited value raises on its way into domain objects.
_DAMAGED_VALUE = (ValueError, TypeError, KeyError, AttributeError, OverflowError)
_TAMPERED = "a booking in the database was changed by hand; call the office's IT staff"


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do. The kiosk goes OUT OF ORDER."""


@dataclass(frozen=True, slots=True)
class PurgeReport:
    bookings: int
    cutoff: dt.date


@dataclass(frozen=True, slots=True)
class _Settings:
    rules: OfficeRules
    identity: settings.Identity
    enrolled: bool
    feed_lost: bool = False
    #: How far the booking file has been seen to be (store/feed_anchor.py).
    booking_anchor: feed_anchor.Anchor = field(default_factory=feed_anchor.Anchor)
    #: The booking file was found wrong and is not repaired yet (feed_anchor.NOTED_KEY).
    bookings_reported: bool = False


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
        self.anchor_path = audit.anchor_path_for(path)
        self.receipt_path = receipts.receipt_path_for(path)
        #: (raw stored JSON, parsed) of the settings every scan needs; see _settings().
        self._settings_cache: tuple[tuple[str | None, ...], _Settings] | None = None
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
        #: This process has the files open while a store is on them (see open()).
        _OPEN_HERE.add(path)
        self._forget_open = weakref.finalize(self, _OPEN_HERE.remove, path)

    # --- opening ------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path | str, *, create: bool = True, upgrade: bool = True, busy_timeout_ms: int | None = None
    ) -> KioskStore:
        """Open (or create) the database at `path`. Raises StoreError with a clear message on any problem.

        A file that is not a kiosk database, or one from a newer kiosk, is refused before anything is
        written to it. `busy_timeout_ms` is how long a write waits for another writer's lock."""
        path = Path(path)
        refuse_if_lost(path)
        existed = path.exists()
        if not existed and not create:
            raise StoreError(f"no kiosk database at {path}")
        feed_lost = False
        checked_here = _OPEN_HERE.holds(path)
        if checked_here:
            # Already open in this process, and checked then. The checks below would open and close
            # the files outside SQLite, which drops the POSIX locks SQLite holds on them here (closing
            # any descriptor of a file does), and then another program that opens and closes the
            # database takes itself for the last one on it and deletes its log: the kiosk goes on
            # writing in the deleted log, the other program in a new one.
            engine = make_engine(path, busy_timeout_ms, feed=feed_path_for(path))
        else:
            if existed:
                _preflight(path)
            current = _check_before_the_feed(path, busy_timeout_ms, upgrade)
            engine, feed_lost = _open_feed_then_engine(path, busy_timeout_ms, current)
        try:
            if not checked_here:
                problem = _quick_check(engine)
                if problem is not None:
                    raise StoreError(problem)
            if migrate.needs_upgrade(engine):
                migrate.upgrade(engine)
            key_path = key_path_for(path)
            create_key = not existed or (not key_path.exists() and _has_no_bookings(engine))
            store = cls(path, engine, load_or_create_key(key_path, create=create_key), busy_timeout_ms)
            store._check_key()
            if feed_lost:
                store._note_feed_lost(dt.datetime.now(dt.UTC))
            store.note_feed_rollback(dt.datetime.now(dt.UTC))
        except (migrate.SchemaError, CodeKeyError) as exc:
            engine.dispose()
            raise StoreError(str(exc)) from exc
        except (SQLAlchemyError, sqlite3.Error) as exc:
            engine.dispose()
            raise StoreError(_explain_sqlite_error(path, exc)) from exc
        except BaseException:
            engine.dispose()
            raise
        return store

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
                    raise StoreError(_explain_sqlite_error(path, exc)) from exc
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
        file may name it, write_anchor()).

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
        last saw is noted once in the audit chain (note_feed_rollback()), not a problem here: its
        codes go to the officer (STALE_DATA), the kiosk is not out of order. The kiosk runs this now
        and then on its reader thread (kiosk/ui/controller.py), never on the GUI thread: it reads
        every page."""
        try:
            problem = _quick_check(self.engine)
        except (SQLAlchemyError, sqlite3.Error) as exc:
            problem = _explain_sqlite_error(self.path, exc)
        except StoreError as exc:
            problem = str(exc)
        if problem is not None:
            log.error("the database check failed; nothing is admitted until it is restored: %s", problem)
            self._failed_check = problem
            return problem
        try:  # a booking file put back from an older copy while the kiosk runs: evidence, once
            self.note_feed_rollback(dt.datetime.now(dt.UTC))
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

    def yield_to_scans(self, max_wait_s: float = MAX_YIELD_S) -> None:
        """Between two steps of bulk work (the sync): wait while a scan is being decided on this
        database, in this process or another (at most `max_wait_s`), then let other threads run.

        A scan's time is mostly Python, which needs the GIL that the sync's thread otherwise holds
        for up to the interpreter's switch interval (5 ms) at a time, and a commit, which needs the
        write lock. Waiting here, with neither held, the sync's thread takes none of them from a scan
        in progress; a scan waits at most for the one step under way when it began."""
        if time.monotonic() >= self._yield_holdoff_until and not self._locks.wait_quiet(max_wait_s):
            self._yield_holdoff_until = time.monotonic() + max_wait_s
        time.sleep(0)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection, connection.begin():
                yield connection
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(_explain_sqlite_error(self.path, exc)) from exc

    # --- settings -----------------------------------------------------------------------------------

    def rules(self) -> OfficeRules:
        with self.reading() as connection:
            return self._settings(connection).rules

    def identity(self) -> settings.Identity:
        with self.reading() as connection:
            return self._settings(connection).identity

    def configure(self, identity: settings.Identity, rules: OfficeRules, now: dt.datetime) -> None:
        """Set who this kiosk is and the office's rules; audited, since rules change what gets in."""
        if rules.office_code != identity.office_code:
            raise StoreError("the office rules are for another office than the kiosk's")
        try:  # the same checks as for stored rules: what is written here must be readable at every scan
            settings.rules_from_json(settings.rules_to_json(rules))
            settings.identity_from_json(settings.identity_to_json(identity))
        except ValueError as exc:
            raise StoreError(f"invalid office settings: {exc}") from exc
        with self.writing() as connection:
            settings.put(connection, settings.IDENTITY_KEY, settings.identity_to_json(identity))
            settings.put(connection, settings.RULES_KEY, settings.rules_to_json(rules))
            digest = audit.canonical_digest(
                {"identity": settings.identity_to_json(identity), "rules": settings.rules_to_json(rules)}
            )
            audit.append(connection, to_text(now), "settings", "office", digest)
        self._settings_cache = None
        self.write_anchor()

    def _settings(self, connection: Connection) -> _Settings:
        """Rules, identity and enrolment as stored now. Parsed once per change: every call reads the raw
        JSON (one small query, so a change made by another program is seen at the next scan) and only
        parses it again when it differs from the last time."""
        raw = settings.raw_values(connection, _SETTINGS_KEYS)
        cached = self._settings_cache
        if cached is not None and cached[0] == raw:
            return cached[1]
        rules_text, identity_text, enrolled_text, lost_text, anchor_text, noted_text = raw
        try:
            identity = settings.identity_from_json(_json(identity_text))
            rules_data = _json(rules_text)
            rules = (
                settings.rules_from_json(rules_data) if rules_data else OfficeRules(office_code=identity.office_code)
            )
            enrolled = bool(_json(enrolled_text))
            feed_lost = bool(_json(lost_text))
            anchor = feed_anchor.Anchor.from_json(_json(anchor_text))
        except ValueError as exc:
            raise StoreError(f"the stored office settings are invalid ({exc}); configure the kiosk again") from exc
        parsed = _Settings(rules, identity, enrolled, feed_lost, anchor, noted_text is not None)
        self._settings_cache = (raw, parsed)
        return parsed

    # --- the decision -------------------------------------------------------------------------------

    def circumstances(self, now: dt.datetime) -> Circumstances:
        with self.reading() as connection:
            return self._circumstances(connection, now, self._settings(connection))

    def decide_only(self, presentation: Presentation, now: dt.datetime) -> Decision:
        """Lookup + decide without recording (previews and the benchmark), in one read transaction.
        Fails closed: a database problem or a tampered booking raises StoreError."""
        _require_aware(now)
        self.refuse_if_damaged()
        try:
            with self._locks.scan(), self.reading() as connection:
                current = self._settings(connection)
                circumstances = self._circumstances(connection, now, current)
                _, booking, entries = lookup(connection, self.hasher, presentation)
        except booking_repo.TamperedRowError as exc:
            log.error("refusing a tampered booking row: %s", exc)
            raise StoreError(_TAMPERED) from exc
        except _DAMAGED_VALUE as exc:
            raise self._damaged(exc) from exc
        return decide(presentation, booking, entries, current.rules, circumstances)

    def record(
        self,
        presentation: Presentation,
        now: dt.datetime,
        source: str = "camera",
        event_uuid: str | None = None,
        annotation: Annotation | None = None,
    ) -> Recorded:
        """Decide and make the decision durable. Raises StoreError if it could not be recorded: the
        caller must then show OUT OF ORDER and keep the gate shut. (The kiosk's code reaches this
        through the door, kiosk/door, which builds the presentation.)"""
        _require_aware(now)
        self.refuse_if_damaged()
        with self._locks.scan():
            return self._recorded_in_one_transaction(
                now,
                lambda connection, current, circumstances: decide_and_record(
                    connection,
                    self.hasher,
                    presentation,
                    current.rules,
                    circumstances,
                    current.identity,
                    source,
                    event_uuid,
                    annotation,
                ),
            )

    def record_decided(
        self,
        presentation: Presentation,
        decision: Decision,
        now: dt.datetime,
        source: str,
        event_uuid: str,
        annotation: Annotation | None = None,
    ) -> Recorded:
        """Record a decision made elsewhere (the server's, across gates) exactly as a local one is
        recorded: event, outbox row and audit entry in one transaction."""
        _require_aware(now)
        self.refuse_if_damaged()

        def write(connection: Connection, current: _Settings, circumstances: Circumstances) -> Recorded:
            identity = current.identity
            row = event_row(self.hasher, presentation, decision, now, event_uuid, identity, source, annotation)
            head = write_event(connection, row, identity)
            return Recorded(event_uuid, decision, now, head.seq, head.hash)

        with self._locks.scan():
            return self._recorded_in_one_transaction(now, write)

    def _recorded_in_one_transaction(
        self, now: dt.datetime, write: Callable[[Connection, _Settings, Circumstances], Recorded]
    ) -> Recorded:
        try:
            with self.writing() as connection:
                current = self._settings(connection)
                circumstances = self._circumstances(connection, now, current)
                recorded = write(connection, current, circumstances)
                new_head = audit.Head(recorded.audit_seq, recorded.audit_hash)
                blocker, overtaken = self._anchor_check(connection, new_head)
        except booking_repo.TamperedRowError as exc:
            log.error("refusing a tampered booking row: %s", exc)
            raise StoreError(_TAMPERED) from exc
        except _DAMAGED_VALUE as exc:
            raise self._damaged(exc) from exc
        except StoreError as exc:
            log.error("could not record a scan: %s", exc)
            raise
        self._move_anchor(new_head, blocker, overtaken)
        return recorded

    def _circumstances(self, connection: Connection, now: dt.datetime, current: _Settings) -> Circumstances:
        state = driver(connection).execute(_SYNC_STATE_SQL).fetchone()
        offset, data_as_of, cursor, generation = state if state else (None, None, None, None)
        on_file = feed_anchor.FileState(cursor, int(generation or 0))
        rolled_back = feed_anchor.behind(on_file, current.booking_anchor) is not None or current.bookings_reported
        as_of = from_text(data_as_of) if data_as_of else None
        data_age: dt.timedelta | None = None
        if current.enrolled:
            data_age = now - as_of if as_of else dt.timedelta.max
        elif current.feed_lost:
            data_age = dt.timedelta.max  # bookings imported by hand were lost with the file: an incomplete list
        trusted = clock_trusted(now, _BUILD_DATE, offset, MAX_CLOCK_OFFSET_S)
        if as_of is not None and now < as_of - MAX_CLOCK_BEHIND_DATA:
            trusted = False  # the clock was set back since the data came (ClockWatch may not have run yet)
        return Circumstances(
            now=now,
            gate=current.identity.gate,
            data_age=data_age,
            clock_trusted=trusted,
            bookings_trusted=not rolled_back,  # an older booking file than this database saw decides nothing
        )

    # --- bookings -----------------------------------------------------------------------------------

    def import_bookings(self, incoming: Iterable[booking_repo.IncomingBooking], now: dt.datetime, source: str) -> int:
        """Apply bookings in one transaction and note the import in the audit chain. (Both files: the
        chain's entry is committed first, then the rows; an import cut off between them is run again.)"""
        with self.writing(feed=True) as connection:
            repair = feed_anchor.wrong_file(connection)  # then every row it carries replaces the file's
            before = feed_anchor.file_content(connection)
            applied = booking_repo.upsert(connection, self.hasher, incoming, force=repair)
            digest = audit.canonical_digest({"source": source, "applied": applied})
            # the entry, the generation and the content in both files (store/feed_anchor.py)
            feed_anchor.imported(connection, now, f"bookings:{applied}", digest, repair=repair, before=before)
            if settings.get(connection, FEED_LOST):
                settings.delete(connection, FEED_LOST)  # imported again: the list is the office's again
                log.info("bookings imported again after the booking file was lost: unknown codes are denied again")
        self._settings_cache = None
        self.write_anchor()
        return applied

    def booking_data_lost(self) -> bool:
        """The booking file was lost and the bookings, imported by hand, have not been imported again
        since (see FEED_LOST). An enrolled kiosk's lost bookings come back with its next sync: False."""
        with self.reading() as connection:
            current = self._settings(connection)
        return current.feed_lost and not current.enrolled

    def _note_feed_lost(self, now: dt.datetime) -> None:
        """Evidence that the booking file was made again empty, and the flag that makes unknown codes
        go to the officer until bookings are imported again."""
        with self.writing() as connection:
            settings.put(connection, FEED_LOST, {"at": to_text(now)})
            digest = audit.canonical_digest({"file": self.feed_path.name})
            entry = ("feed.lost", f"file:{self.feed_path.name}", digest)
            late = feed_anchor.examine(connection, deep=True)  # an empty file: nothing to count
            enrolled = bool(settings.get(connection, SYNC_ENROLLED))
            if late is None or not feed_anchor.note_wrong(  # said as lost, not as rolled back
                connection, now, self.feed_path.name, late, enrolled=enrolled, entry=entry
            ):
                feed_anchor.covered_append(connection, now, *entry, feed_anchor.read_anchor(connection))
        self._settings_cache = None
        self.write_anchor()

    def booking_file_behind(self) -> feed_anchor.Behind | None:
        """Why the booking file is older than this database last saw it (rolled back or replaced), or
        holds rows this kiosk did not write (found at open or at the periodic check), or None. Until
        a sync or an import repairs it, every code goes to the officer (STALE_DATA)."""
        try:
            with self.reading() as connection:
                return feed_anchor.file_behind(connection)[2] or feed_anchor.reported(connection)
        except _DAMAGED_VALUE as exc:
            raise self._damaged(exc) from exc

    def note_feed_rollback(self, now: dt.datetime) -> bool:
        """At open and at the periodic check of the files: one audit entry `feed.rolled_back` the first
        time the booking file is found older than its anchor or holding rows this kiosk did not write
        (its rows are counted: feed_anchor.examine()); an enrolled kiosk's file is emptied then, for the
        next sync. A page cut off with its process is downloaded again (feed_anchor.recover_cut_page()).
        Nothing written otherwise (but what an older kiosk did not record: feed_anchor.adopt()). True:
        noted now."""
        written = changed = False
        try:
            with self.reading() as connection:
                anchor = feed_anchor.read_anchor(connection)
                cut = anchor.applying is not None and feed_anchor.process_gone(anchor.applying)
                late = None if cut else feed_anchor.examine(connection, deep=True)
                unrecorded = feed_anchor.needs_adoption(connection)
            if cut or late is not None or unrecorded:
                with self.writing(feed=True) as connection:  # again, both files still: not a change half seen
                    if feed_anchor.recover_cut_page(connection, now) is not None:
                        log.warning("a page of bookings was cut off with its process: downloading them again")
                        changed = True
                    late = feed_anchor.examine(connection, deep=True)
                    if late is not None:
                        enrolled = bool(settings.get(connection, SYNC_ENROLLED))
                        written = feed_anchor.note_wrong(connection, now, self.feed_path.name, late, enrolled=enrolled)
                    else:
                        changed = feed_anchor.adopt(connection, now) or changed
        except _DAMAGED_VALUE as exc:
            raise self._damaged(exc) from exc
        if changed and not written:
            self._settings_cache = None
            self.write_anchor()
        if written:
            log.error("the booking file %s is not what this database last saw (%s)", self.feed_path, late)
            self.write_anchor()
        return written

    def booking_count(self) -> int:
        with self.reading() as connection:
            return booking_repo.count(connection)

    # --- guards -------------------------------------------------------------------------------------

    def add_guard(self, name: str, pin: str, now: dt.datetime) -> guard_repo.Guard:
        with self.writing() as connection:
            guard = guard_repo.add(connection, name, pin, now)
            audit.append(connection, to_text(now), "guard.add", f"guard:{guard.id}", audit.canonical_digest({}))
        self.write_anchor()
        return guard

    def set_guard_active(self, name: str, active: bool, now: dt.datetime) -> guard_repo.Guard:
        with self.writing() as connection:
            guard = guard_repo.set_active(connection, name, active)
            kind = "guard.enable" if active else "guard.disable"
            audit.append(connection, to_text(now), kind, f"guard:{guard.id}", audit.canonical_digest({}))
        self.write_anchor()
        return guard

    def guards(self) -> list[guard_repo.Guard]:
        with self.reading() as connection:
            return guard_repo.all_guards(connection)

    def authenticate(self, name: str, pin: str, now: dt.datetime, purpose: str = "login") -> guard_repo.Guard:
        """Check a guard's PIN. What happened goes into the audit chain in the same transaction as the
        failure count (guard.login, guard.pin_wrong, guard.lockout, guard.pin_locked, guard.pin_disabled;
        a successful check with `purpose` "leave" is the guard leaving kiosk mode: kiosk.leave), by guard
        id, never with the PIN or anything made from it. An unknown name raises GuardError, unaudited."""
        if purpose not in _AUTH_PURPOSES:
            raise ValueError(f"unknown purpose of a PIN check: {purpose!r}")
        with self.writing() as connection:
            result = guard_repo.authenticate(connection, name, pin, now)
            if result.event is not None and result.guard_id is not None:
                kind = _AUTH_PURPOSES[purpose] if result.event is guard_repo.AuthEvent.LOGIN else result.event.value
                facts = {"purpose": purpose, **result.facts}
                audit.append(connection, to_text(now), kind, f"guard:{result.guard_id}", audit.canonical_digest(facts))
        self.write_anchor()
        if result.guard is None:
            raise guard_repo.GuardError(result.message)
        return result.guard

    def note_guard_logout(self, guard_id: int, now: dt.datetime, why: str) -> None:
        """A guard's console session ended (`why`: "button", "idle", "closed", "locked"...): audited."""
        with self.writing() as connection:
            digest = audit.canonical_digest({"why": why})
            audit.append(connection, to_text(now), "guard.logout", f"guard:{guard_id}", digest)
        self.write_anchor()

    # --- audit --------------------------------------------------------------------------------------

    def verify_audit(
        self, checked_receipts: Sequence[receipts.Receipt] = (), expect: tuple[int, str] | None = None
    ) -> audit.VerifyReport:
        """The whole chain, the head file, and `checked_receipts` (whose signatures the caller checked:
        kiosk/sync/anchoring.py) and a head printed on paper (`expect`)."""
        try:
            with self.reading() as connection:
                anchor = audit.read_anchor(self.anchor_path)
                report = audit.verify(connection, anchor, checked_receipts, expect)
        except _DAMAGED_VALUE as exc:
            raise self._damaged(exc) from exc
        if anchor is None and report.entries > 0:
            report.add(
                None,
                f"the audit head file {self.anchor_path} is missing: entries cut off at the end "
                "could not be noticed (it is written after every change; was it deleted?)",
            )
        return report

    def _damaged(self, exc: Exception) -> StoreError:
        """A stored value this code cannot read (a damaged file, or a hand edit the seal does not cover,
        such as an event's time): stop, never guess."""
        log.error("unreadable value in %s", self.path, exc_info=exc)
        return StoreError(
            f"the database {self.path} holds a value that cannot be read ({type(exc).__name__}: {exc}); "
            "it is damaged or was edited by hand: restore it from backup or re-create it and sync"
        )

    def audit_head(self) -> audit.Head:
        with self.reading() as connection:
            return audit.head(connection)

    def audit_entries(self, start: int, until: int, limit: int) -> list[dict[str, Any]]:
        """Entries start..until, oldest first, at most `limit`: what an upload sends the server."""
        with self.reading() as connection:
            return receipts.entries(connection, start, until, limit)

    def audit_hashes(self, seqs: Iterable[int]) -> dict[int, str]:
        with self.reading() as connection:
            return receipts.hashes(connection, seqs)

    def keep_receipt(self, receipt: receipts.Receipt, now: dt.datetime) -> None:
        """Keep a checked receipt in the table and, when it is the newest, in the file beside."""
        with self.writing() as connection:
            receipts.keep(connection, receipt, now)
        try:
            receipts.write_file(self.receipt_path, receipt)
        except OSError as exc:
            log.warning("could not write the receipt file %s: %s", self.receipt_path, exc)

    def note_server_alert(self, detail: str, now: dt.datetime) -> None:
        """The server found this kiosk's audit chain altered: keep what it said for the guard's status
        panel, and an audit entry saying the kiosk was told (once per finding)."""
        finding = {"at": to_text(now), "detail": detail[:1000]}
        with self.writing() as connection:
            before = settings.get(connection, SERVER_ALERT)
            if isinstance(before, dict) and before.get("detail") == finding["detail"]:
                return
            settings.put(connection, SERVER_ALERT, finding)
            digest = audit.canonical_digest({"detail": finding["detail"]})
            audit.append(connection, finding["at"], "audit.server_alert", "server", digest)
        self.write_anchor()

    def server_alert(self) -> tuple[dt.datetime, str] | None:
        """The server's newest finding about this kiosk's audit chain: (when it was told, what)."""
        with self.reading() as connection:
            finding = settings.get(connection, SERVER_ALERT)
        if not isinstance(finding, dict) or not isinstance(finding.get("detail"), str):
            return None
        try:
            return from_text(str(finding["at"])), finding["detail"]
        except (KeyError, ValueError):
            return None

    def stored_receipts(self) -> tuple[list[receipts.Receipt], list[str]]:
        """Every receipt kept (table and file), newest first, unchecked; and why the file is unusable."""
        with self.reading() as connection:
            kept = receipts.stored(connection)
        in_file = receipts.read_file(self.receipt_path)
        problems = [in_file] if isinstance(in_file, str) else []
        if isinstance(in_file, receipts.Receipt) and in_file not in kept:
            kept.insert(0, in_file)
        return sorted(kept, key=lambda r: r.seq, reverse=True), problems

    def write_anchor(self, new: audit.Head | None = None) -> None:
        """After a commit: move the audit head file to `new` (default: the head now), only forward along
        the chain (audit.anchor_blocker: never backwards, never over the trace of a rolled-back or
        rewritten database). Every writer outside this class moves it through here. `new` must be on
        disk: committed with synchronous=FULL, or flushed since (checkpoint())."""
        try:
            with self.reading() as connection:
                if new is None:
                    new = audit.head(connection)
                blocker, overtaken = self._anchor_check(connection, new)
        except StoreError as exc:
            log.warning("could not update the audit head file %s: %s", self.anchor_path, exc)
            return
        self._move_anchor(new, blocker, overtaken)

    def _anchor_check(self, connection: Connection, new: audit.Head) -> tuple[str | None, bool]:
        """Why the anchor file may not move to `new` (None: it may), and whether that is only another
        writer on this database (the sync, the gate) having moved it further along the same chain
        first: nothing to report then."""
        current = audit.read_anchor(self.anchor_path)
        blocker = audit.anchor_blocker(connection, current, new)
        overtaken = (
            blocker is not None
            and current is not None
            and current.seq > new.seq
            and audit.anchor_blocker(connection, current, current) is None  # its entry is in the chain, unchanged
        )
        return blocker, overtaken

    def _move_anchor(self, new: audit.Head, blocker: str | None, overtaken: bool = False) -> None:
        """Write the anchor file, unless `blocker` (from _anchor_check(), read by the caller) forbids it."""
        try:
            if blocker is not None:
                report = log.debug if overtaken else log.warning
                report("not moving the audit head file %s to entry %d: %s", self.anchor_path, new.seq, blocker)
                return
            audit.write_anchor(self.anchor_path, new)
        except OSError as exc:  # the chain is committed; a stale anchor only weakens truncation checks
            log.warning("could not update the audit head file %s: %s", self.anchor_path, exc)

    # --- retention and privacy ----------------------------------------------------------------------

    def purge(self, now: dt.datetime, retention_days: int = DEFAULT_RETENTION_DAYS) -> PurgeReport:
        """Delete bookings whose service date is older than the retention period; blank guard notes
        on events of the same age. Events keep their non-personal facts for the audit chain."""
        cutoff = (now.astimezone(self.rules().tz) - dt.timedelta(days=retention_days)).date()
        with self.writing(feed=True) as connection:
            before = feed_anchor.file_content(connection)
            deleted = booking_repo.delete_rows(connection, "service_date < ?", (cutoff.isoformat(),))
            feed_anchor.rows_changed(  # the entry, and the booking file's content in both files
                connection,
                before,
                now,
                "purge",
                f"bookings:{deleted}",
                audit.canonical_digest({"cutoff": cutoff.isoformat(), "deleted": deleted}),
            )
        self.write_anchor()
        return PurgeReport(deleted, cutoff)

    def pii_inventory(self) -> dict[str, int]:
        """How many stored values of each personal field there are (for a breach notice)."""
        with self.reading() as connection:

            def count(column: Any, table: Any) -> int:
                query = select(func.count()).select_from(table).where(column.is_not(None), column != "")
                return int(connection.execute(query).scalar_one())

            return {
                "bookings.display_name": count(BookingRow.display_name, BookingRow),
                "bookings.nik_last4": count(BookingRow.nik_last4, BookingRow),
                "bookings (rows)": booking_repo.count(connection),
                "scan_events.note (guard notes)": count(ScanEventRow.note, ScanEventRow),
                "outbox (events not yet uploaded)": int(
                    connection.execute(select(func.count()).select_from(OutboxRow)).scalar_one()
                ),
            }

    def pii_files(self) -> list[tuple[str, Path, str]]:
        """Every file of this kiosk that holds personal data, with what it holds: (label, path, holds).
        SQLite's -wal and -shm files are there while the database is open (the running kiosk, this
        store): the write-ahead log holds recent changes of its file's rows (names and NIK digits among
        them, for the booking file's) until they are copied into it, and -shm its index. They are
        listed whether present now or not: a caller that opened the store itself made them."""
        feed = self.feed_path
        files = [
            ("database", self.path, "scan events (booking refs, masked codes, guard notes), guards' names, outbox"),
            ("booking file", feed, "bookings: applicants' names, last 4 digits of their NIK, booking refs"),
        ]
        bases = (("database", self.path, "the database's"), ("booking file", feed, "the booking file's"))
        for label, base, what in bases:
            files.append(
                (f"{label} log", base.with_name(base.name + "-wal"), f"recent changes of {what} rows, not yet in it")
            )
            files.append(
                (f"{label} index", base.with_name(base.name + "-shm"), f"the index of {what} log (no row data)")
            )
        return files

    def outbox_size(self) -> int:
        """Outbox rows waiting to be uploaded (not those marked refused: see refused_uploads())."""
        with self.reading() as connection:
            query = select(func.count()).select_from(OutboxRow).where(OutboxRow.refused_at.is_(None))
            return int(connection.execute(query).scalar_one())

    def refused_uploads(self) -> int:
        """Outbox rows the server refused for good, or that can never be sent: kept for the IT person,
        never sent again (kiosk/sync/apply.py; listed by `kiosk sync status`)."""
        with self.reading() as connection:
            query = select(func.count()).select_from(OutboxRow).where(OutboxRow.refused_at.is_not(None))
            return int(connection.execute(query).scalar_one())

    def event(self, event_uuid: str) -> dict[str, Any] | None:
        with self.reading() as connection:
            row = connection.execute(select(ScanEventRow).where(ScanEventRow.event_uuid == event_uuid)).first()
            return None if row is None else dict(row._mapping)

    def integrity_ok(self) -> bool:
        with self.reading() as connection:
            return connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    def set_sync_state(self, *, durable: bool = True, **values: Any) -> None:
        """Update the sync state row (in the feed's file). `durable=False`: no flush before it returns;
        for notes such as the last attempt's time and error, which a power cut may take back."""
        with self.feed_writing(durable=durable) as connection:
            exists = connection.execute(select(SyncStateRow.id).where(SyncStateRow.id == 1)).first()
            if exists:
                connection.execute(update(SyncStateRow).where(SyncStateRow.id == 1).values(**values))
            else:
                connection.execute(insert(SyncStateRow).values(id=1, **values))

    # --- key check ----------------------------------------------------------------------------------

    def _check_key(self) -> None:
        """The key file must be the one this database's codes were hashed with. Writes only when the
        fingerprint is new, so a read-only database still opens (and refuses to record, clearly)."""
        with self.reading() as connection:
            if settings.get(connection, KEY_FINGERPRINT) == self.hasher.fingerprint:
                return
        with self.writing() as connection:
            stored = settings.get(connection, KEY_FINGERPRINT)
            if stored is None:
                settings.put(connection, KEY_FINGERPRINT, self.hasher.fingerprint)
            elif stored != self.hasher.fingerprint and booking_repo.count(connection) == 0:
                log.warning("new code key for a database without bookings; old scan hashes will not match")
                settings.put(connection, KEY_FINGERPRINT, self.hasher.fingerprint)
            elif stored != self.hasher.fingerprint:
                raise CodeKeyError(
                    f"the code key file {key_path_for(self.path)} does not belong to this database "
                    "(its fingerprint differs). Put back the key made with this database."
                )


class _OpenFiles:
    """The databases this process has open through a KioskStore, counted (resolved paths)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: dict[Path, int] = {}

    def add(self, path: Path) -> None:
        with self._lock:
            key = path.resolve()
            self._count[key] = self._count.get(key, 0) + 1

    def remove(self, path: Path) -> None:
        with self._lock:
            key = path.resolve()
            left = self._count.get(key, 0) - 1
            if left > 0:
                self._count[key] = left
            else:
                self._count.pop(key, None)

    def holds(self, path: Path) -> bool:
        with self._lock:
            return self._count.get(path.resolve(), 0) > 0


_OPEN_HERE = _OpenFiles()


def _check_before_the_feed(path: Path, busy_timeout_ms: int | None, upgrade: bool) -> bool:
    """Refuse a database from a newer kiosk, or an old one when not asked to upgrade it, before the
    feed's file is made or touched beside it. True: the database's schema is the newest."""
    probe = make_engine(path, busy_timeout_ms)
    try:
        if not migrate.needs_upgrade(probe):
            return True
        migrate.check_not_newer(probe)
        if not upgrade and migrate.current_revision(probe) is not None:
            raise StoreError(f"the database at {path} needs an upgrade: run `kiosk db upgrade --db {path}`")
        return False
    except migrate.SchemaError as exc:
        raise StoreError(str(exc)) from exc
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError(_explain_sqlite_error(path, exc)) from exc
    finally:
        probe.dispose()


def _open_feed_then_engine(path: Path, busy_timeout_ms: int | None, current: bool) -> tuple[Engine, bool]:
    """Bring the feed's file up to date (made new when missing), then the engine with it attached.
    `current`: the database's schema is the newest (then a missing feed file was lost: a warning, and
    True beside the engine, so that the loss is noted; see FEED_LOST)."""
    feed_path = feed_path_for(path)
    lost = False
    if feed_path.exists():
        header = _read_header(feed_path)
        if header and header[:16] != _SQLITE_MAGIC:
            raise StoreError(
                f"{feed_path} (the kiosk's booking file) is not an SQLite database: move it away, and the kiosk "
                "makes a new, empty one (an enrolled kiosk fetches its bookings at the next sync; bookings "
                "imported by hand must be imported again)"
            )
    elif current:
        lost = True
        log.warning(
            "the booking file %s is missing: a new, empty one is made. An enrolled kiosk fetches all bookings "
            "at its next sync; bookings imported by hand must be imported again (`kiosk import`). Until then "
            "unknown codes go to the officer",
            feed_path,
        )
    feed = make_feed_engine(feed_path, busy_timeout_ms, synchronous="FULL")
    try:
        migrate.upgrade_feed(feed)
    except migrate.SchemaError as exc:
        raise StoreError(f"{feed_path}: {exc}") from exc
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError(_explain_sqlite_error(feed_path, exc)) from exc
    finally:
        feed.dispose()
    return make_engine(path, busy_timeout_ms, feed=feed_path), lost


def _has_no_bookings(engine: Engine) -> bool:
    with engine.connect() as connection:
        return booking_repo.count(connection) == 0


def _preflight(path: Path) -> None:
    """Refuse what is not SQLite before the engine touches it; and look inside a file not in WAL mode
    read-only first: the engine would switch a stranger's SQLite file to WAL before the schema check
    could refuse it. (A WAL file is left to the engine, whose check changes nothing in it; a read-only
    look would leave -wal and -shm files behind.)"""
    header = _read_header(path)
    if not header:
        return  # an empty file: SQLite makes a new database of it
    if header[:16] != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not an SQLite database (is it the right file? is it damaged?)")
    if len(header) >= _HEADER_BYTES and header[18] == header[19] == _WAL_FORMAT:
        return
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(_explain_sqlite_error(path, exc)) from exc
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision: str | None = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else str(row[0])
    except sqlite3.Error as exc:
        raise StoreError(_explain_sqlite_error(path, exc)) from exc
    finally:
        connection.close()
    problem = migrate.refusal(revision, tables)
    if problem is not None:
        raise StoreError(f"{path}: {problem}")


def companions_of(path: Path) -> list[tuple[str, Path]]:
    """The files beside a database that only exist once it has: what their presence proves."""
    return [
        ("key file", key_path_for(path)),
        ("booking file", feed_path_for(path)),
        ("audit head", audit.anchor_path_for(path)),
        ("audit receipt", receipts.receipt_path_for(path)),
        ("write-ahead log", path.with_name(path.name + "-wal")),
    ]


def refuse_if_lost(path: Path) -> None:
    """A database file that is missing or empty while files made with it are still beside it was
    lost (deleted, emptied): raise StoreError saying what to restore. It is never made anew then:
    a new, empty database would silently start a new office (demo identity, no guards, a new chain)."""
    try:
        lost = not path.exists() or (path.is_file() and path.stat().st_size == 0)
    except OSError:
        return  # the open that follows says what is wrong with the path
    if not lost:
        return
    present = [label for label, companion in companions_of(path) if companion.exists()]
    if not present:
        return
    state = "missing" if not path.exists() else "empty"
    shown = ", ".join(present[:-1]) + (" and " if len(present) > 1 else "") + present[-1]
    raise StoreError(
        f"{path.name} is {state} but its {shown} beside it {'show' if len(present) > 1 else 'shows'} it existed: "
        f"restore {path.name} from the "
        "backup (with its -wal file if any); the kiosk never makes it anew"
    )


def _quick_check(engine: Engine) -> str | None:
    """PRAGMA quick_check of the database file and of the booking file attached to it: None when both
    are sound, else what is wrong (first lines of SQLite's answer). quick_check reads every page but
    skips the index-content comparison of integrity_check (cost: see the README's figures)."""
    problems: list[str] = []
    with engine.connect() as connection:
        schemas = [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")]
        for schema in schemas:
            if schema == "temp":
                continue
            rows = [
                " ".join(str(row[0]).split()) for row in connection.exec_driver_sql(f"PRAGMA {schema}.quick_check(5)")
            ]
            if rows != ["ok"]:
                which = "the booking file" if schema == "feed" else "the database file"
                problems.append(f"{which}: {'; '.join(rows)[:300]}")
    if not problems:
        return None
    path = engine.url.database or "?"
    return f"the database {path} is damaged ({' / '.join(problems)}); restore it from the backup"


def _read_header(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEADER_BYTES)
    except OSError as exc:
        raise StoreError(f"cannot read the database file {path}: {exc.strerror}") from exc


def _explain_sqlite_error(path: Path, exc: BaseException) -> str:
    """A sentence for the person at the kiosk (or the IT staff) from an SQLite error, raw or wrapped."""
    original = getattr(exc, "orig", None) or exc
    text = str(original)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"the database {path} is locked by another program; close it and try again ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database {path} cannot be written (read-only file system or file permissions) ({text})"
    if "disk" in lowered and "full" in lowered:
        return f"the disk holding {path} is full; free some space ({text})"
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return f"the database {path} is damaged ({text}); restore it from backup or re-create it and sync"
    if "unable to open" in lowered:
        return f"cannot open the database {path}: check that its folder exists and can be written ({text})"
    if "disk i/o" in lowered:
        return f"the disk holding {path} failed to read or write ({text}); check the disk"
    return f"database error in {path}: {text}"


def _require_aware(now: dt.datetime) -> None:
    """A naive time is the caller's bug, not a damaged database: say so before anything is read."""
    if now.tzinfo is None:
        raise ValueError("the scan time must be timezone-aware")


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError; a damaged cell may not be text
        raise ValueError(f"not JSON: {exc}") from exc
