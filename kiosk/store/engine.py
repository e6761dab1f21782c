"""SQLite engine with the settings the gate's promises rest on.

WAL so readers (guard console, sync) never block the writer; synchronous=FULL so a committed scan
survives a power cut; foreign keys on; a busy timeout so a second writer waits instead of failing.
The driver's own transaction handling is switched off so that BEGIN is ours: writers use
BEGIN IMMEDIATE (take the write lock before reading what they decide on), readers a plain BEGIN.

`synchronous="NORMAL"` is for the sync's bookkeeping only (KioskStore.bulk_writing() and
feed_writing()): in WAL mode its commits are atomic and in order but not flushed to disk at once. See
those methods for why that is safe there and nowhere else.

Two files (see docs/sync-protocol.md, "Two files"): the kiosk's own records (events, audit chain,
outbox, guards, settings) in the database file, and the booking feed (bookings, sync state) in a file
beside it, attached to every connection of the main engine as schema `feed`. The sync writes the feed
file through an engine of its own (`make_feed_engine()`), so its transactions never hold the lock the
gate's scans need. A write transaction of the main engine takes the write lock of the main file only
(`BEGIN IMMEDIATE` would take every attached file's), unless it asks for both (IMMEDIATE_BOTH).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event

BUSY_TIMEOUT_MS = 5000
#: Execution option: this transaction writes; take the write lock at BEGIN. Its value says whose:
#: IMMEDIATE_MAIN (True) the main file's only, IMMEDIATE_BOTH every attached file's too.
IMMEDIATE = "kiosk_immediate"
IMMEDIATE_MAIN = True
IMMEDIATE_BOTH = "both"
FEED_SCHEMA = "feed"
Synchronous = Literal["FULL", "NORMAL"]
_SYNCHRONOUS: tuple[Synchronous, ...] = ("FULL", "NORMAL")


def feed_path_for(path: Path | str) -> Path:
    """The booking feed's file beside the database at `path`: kiosk.db -> kiosk.bookings.db."""
    path = Path(path)
    return path.with_name(f"{path.stem}.bookings{path.suffix or '.db'}")


def make_engine(
    path: Path | str,
    busy_timeout_ms: int | None = None,
    *,
    synchronous: Synchronous = "FULL",
    feed: Path | str | None = None,
) -> Engine:
    """An engine for the kiosk database at `path` (":memory:" only for quick tests), with the feed file
    `feed` attached as schema `feed` when given.

    `busy_timeout_ms` (default BUSY_TIMEOUT_MS) is how long a writer waits for another one's lock
    before giving up with "database is locked". `synchronous` is FULL (every commit on disk when it
    returns) unless a caller has a reason to accept less (see the module docstring)."""
    if synchronous not in _SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
    timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else int(busy_timeout_ms)
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    engine = create_engine(url, connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False})
    feed_text = None if feed is None else str(feed)

    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        _set_pragmas(dbapi_connection, timeout_ms, synchronous, feed_text)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_begin if feed is None else _on_begin_attached)
    return engine


def make_feed_engine(path: Path | str, busy_timeout_ms: int | None = None, *, synchronous: Synchronous) -> Engine:
    """An engine on the feed file alone (the sync's writes and the feed's migrations): the tables the
    models place in schema `feed` are its main schema here."""
    engine = make_engine(path, busy_timeout_ms, synchronous=synchronous)
    return engine.execution_options(schema_translate_map={FEED_SCHEMA: None})


def _set_pragmas(
    dbapi_connection: sqlite3.Connection, busy_timeout_ms: int, synchronous: Synchronous, feed: str | None
) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        if feed is not None:
            cursor.execute(f"ATTACH DATABASE ? AS {FEED_SCHEMA}", (feed,))
            cursor.execute(f"PRAGMA {FEED_SCHEMA}.journal_mode=WAL")
            cursor.execute(f"PRAGMA {FEED_SCHEMA}.synchronous={synchronous}")
    finally:
        cursor.close()


def driver(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under an SQLAlchemy one, inside the same transaction. The per-scan reads
    (settings, booking, entries) use it: SQLAlchemy costs several times more per statement than SQLite
    takes to answer them. Errors from it are sqlite3.Error, not SQLAlchemy's."""
    raw = connection.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):  # pragma: no cover - the kiosk store is SQLite only
        raise TypeError(f"not an SQLite connection: {type(raw).__name__}")
    return raw


def _on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _on_begin_attached(connection: Connection) -> None:
    """As _on_begin, but a writer takes only the main file's write lock unless it asks for both:
    SQLite has no BEGIN IMMEDIATE for one schema, so a write that changes nothing starts the write
    transaction on main (and waits for its lock like BEGIN IMMEDIATE would)."""
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    if immediate == IMMEDIATE_BOTH:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    connection.exec_driver_sql("BEGIN")
    if immediate:
        connection.exec_driver_sql(_TAKE_MAIN_WRITE_LOCK)


#: Every kiosk database has it from its first migration; WHERE 0 deletes nothing.
_TAKE_MAIN_WRITE_LOCK = "DELETE FROM main.alembic_version WHERE 0"
