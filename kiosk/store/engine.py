"""SQLite engine with the settings the gate's promises rest on.

WAL so readers (guard console, sync) never block the writer; synchronous=FULL so a committed scan
survives a power cut; foreign keys on; a busy timeout so a second writer waits instead of failing.
The driver's own transaction handling is switched off so that BEGIN is ours: writers use
BEGIN IMMEDIATE (take the write lock before reading what they decide on), readers a plain BEGIN.

`synchronous="NORMAL"` is for one writer only, KioskStore.bulk_writing() (the booking feed): in WAL
mode its commits are atomic and in order but not flushed to disk at once. See that method for why
that is safe there and nowhere else.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event

BUSY_TIMEOUT_MS = 5000
IMMEDIATE = "kiosk_immediate"
Synchronous = Literal["FULL", "NORMAL"]
_SYNCHRONOUS: tuple[Synchronous, ...] = ("FULL", "NORMAL")


def make_engine(path: Path | str, busy_timeout_ms: int | None = None, *, synchronous: Synchronous = "FULL") -> Engine:
    """An engine for the kiosk database at `path` (":memory:" only for quick tests).

    `busy_timeout_ms` (default BUSY_TIMEOUT_MS) is how long a writer waits for another one's lock
    before giving up with "database is locked". `synchronous` is FULL (every commit on disk when it
    returns) unless a caller has a reason to accept less; only KioskStore.bulk_writing() has one."""
    if synchronous not in _SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
    timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else int(busy_timeout_ms)
    url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
    engine = create_engine(url, connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False})

    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        _set_pragmas(dbapi_connection, timeout_ms, synchronous)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _set_pragmas(dbapi_connection: sqlite3.Connection, busy_timeout_ms: int, synchronous: Synchronous) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
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
