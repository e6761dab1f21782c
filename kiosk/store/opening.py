"""Opening the kiosk's database: everything checked before a KioskStore is handed out.

Its own module because opening is a procedure of its own, apart from what an open store does: a file
that is not a kiosk database, one from a newer kiosk, a lost database whose companions are still
beside it, a damaged one, a foreign code key are all refused here, before anything is written to
them (KioskStore.open() is open_store())."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kiosk.store import audit, migrate, receipts, settings
from kiosk.store import bookings as booking_repo
from kiosk.store.codes import CodeKeyError, key_path_for, load_or_create_key
from kiosk.store.engine import feed_path_for, make_engine, make_feed_engine
from kiosk.store.errors import StoreError, explain_sqlite_error

if TYPE_CHECKING:
    from kiosk.store.db import KioskStore

log = logging.getLogger(__name__)

KEY_FINGERPRINT = "codes.key_fingerprint"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100
_WAL_FORMAT = 2  # header bytes 18 and 19: file format write/read version 2 means WAL


def open_store(
    cls: type[KioskStore],
    path: Path | str,
    *,
    create: bool = True,
    upgrade: bool = True,
    busy_timeout_ms: int | None = None,
) -> KioskStore:
    """Open (or create) the database at `path` as a `cls` (KioskStore.open()). Raises StoreError with a
    clear message on any problem."""
    path = Path(path)
    refuse_if_lost(path)
    existed = path.exists()
    if not existed and not create:
        raise StoreError(f"no kiosk database at {path}")
    feed_lost = False
    checked_here = OPEN_HERE.holds(path)
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
            problem = quick_check(engine)
            if problem is not None:
                raise StoreError(problem)
        if migrate.needs_upgrade(engine):
            migrate.upgrade(engine)
        key_path = key_path_for(path)
        create_key = not existed or (not key_path.exists() and _has_no_bookings(engine))
        store = cls(path, engine, load_or_create_key(key_path, create=create_key), busy_timeout_ms)
        _check_key(store)
        if feed_lost:
            store.bookings.note_file_lost(dt.datetime.now(dt.UTC))
        store.bookings.note_feed_rollback(dt.datetime.now(dt.UTC))
    except (migrate.SchemaError, CodeKeyError) as exc:
        engine.dispose()
        raise StoreError(str(exc)) from exc
    except (SQLAlchemyError, sqlite3.Error) as exc:
        engine.dispose()
        raise StoreError(explain_sqlite_error(path, exc)) from exc
    except BaseException:
        engine.dispose()
        raise
    return store


def _check_key(store: KioskStore) -> None:
    """The key file must be the one this database's codes were hashed with. Writes only when the
    fingerprint is new, so a read-only database still opens (and refuses to record, clearly)."""
    with store.reading() as connection:
        if settings.get(connection, KEY_FINGERPRINT) == store.hasher.fingerprint:
            return
    with store.writing() as connection:
        stored = settings.get(connection, KEY_FINGERPRINT)
        if stored is None:
            settings.put(connection, KEY_FINGERPRINT, store.hasher.fingerprint)
        elif stored != store.hasher.fingerprint and booking_repo.count(connection) == 0:
            log.warning("new code key for a database without bookings; old scan hashes will not match")
            settings.put(connection, KEY_FINGERPRINT, store.hasher.fingerprint)
        elif stored != store.hasher.fingerprint:
            raise CodeKeyError(
                f"the code key file {key_path_for(store.path)} does not belong to this database "
                "(its fingerprint differs). Put back the key made with this database."
            )


class OpenFiles:
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


#: This process has the files open while a store is on them (see open_store()).
OPEN_HERE = OpenFiles()


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
        raise StoreError(explain_sqlite_error(path, exc)) from exc
    finally:
        probe.dispose()


def _open_feed_then_engine(path: Path, busy_timeout_ms: int | None, current: bool) -> tuple[Engine, bool]:
    """Bring the feed's file up to date (made new when missing), then the engine with it attached.
    `current`: the database's schema is the newest (then a missing feed file was lost: a warning, and
    True beside the engine, so that the loss is noted; see parts.settings.FEED_LOST)."""
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
        raise StoreError(explain_sqlite_error(feed_path, exc)) from exc
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
        raise StoreError(explain_sqlite_error(path, exc)) from exc
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision: str | None = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else str(row[0])
    except sqlite3.Error as exc:
        raise StoreError(explain_sqlite_error(path, exc)) from exc
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


def quick_check(engine: Engine) -> str | None:
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
