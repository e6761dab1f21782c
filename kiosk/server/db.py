"""Engines for the server's database: SQLite (default, one file) or PostgreSQL (production).

The same code runs on both. Differences are kept here: SQLite writers take the write lock at BEGIN
(BEGIN IMMEDIATE, so two writers never deadlock on a lock upgrade) and PostgreSQL writers lock the
rows that order them (`FOR UPDATE`, advisory locks). `server_meta` holds the schema version (a
database written by a newer server is refused) and the evidence key: the secret that keyed hashes of
presented texts are made with (see evidence_key()).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql.dml import Insert

from kiosk.server.models import SCHEMA_VERSION, Base, MetaRow

DEFAULT_URL = "sqlite:///kiosk-server.db"
WRITER_LOCK = "writer"
SCHEMA_KEY = "schema_version"
#: The server's secret for keyed hashes of presented texts (masked evidence); 32 random bytes, hex.
EVIDENCE_KEY = "evidence_key"
_IMMEDIATE = "kiosk_server_immediate"


class ServerDbError(Exception):
    """The server database cannot be used (the message says why)."""


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
    raise ServerDbError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect().execution_options(**{_IMMEDIATE: True}) as connection, connection.begin():
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection, connection.begin():
        yield connection


#: Columns a schema version added to a table an older database already has (create_all makes only
#: missing tables): (version, table, column, its SQL default). Each is added with that default, NOT NULL.
UPGRADES: tuple[tuple[int, str, str, str], ...] = ((3, "offices", "name", "''"),)


def init_schema(engine: Engine) -> None:
    """Create missing tables, add missing columns and record the schema version; refuse a newer schema.

    Upgrades add tables (version 2: `kiosk_health`), which create_all makes in an older database, and
    columns with a default (version 3: `offices.name`; UPGRADES), which are added here in the same
    transaction that raises the version to this server's. Each step is safe to repeat and to run from
    two server instances at once (SQLite: one writer at a time; PostgreSQL: ADD COLUMN IF NOT EXISTS).
    The version is checked before anything is created, so a database of a newer server is refused
    untouched."""
    _refuse_newer(engine)
    Base.metadata.create_all(engine)
    with writing(engine) as connection:
        _add_missing_columns(connection)
        stored = connection.execute(select(MetaRow.value).where(MetaRow.key == SCHEMA_KEY)).scalar()
        if stored is None:
            connection.execute(insert_for(connection, MetaRow).values(key=SCHEMA_KEY, value=str(SCHEMA_VERSION)))
        elif int(stored) > SCHEMA_VERSION:
            raise ServerDbError(
                f"the server database has schema version {stored}; this server knows up to {SCHEMA_VERSION}"
            )
        elif int(stored) < SCHEMA_VERSION:
            connection.execute(update(MetaRow).where(MetaRow.key == SCHEMA_KEY).values(value=str(SCHEMA_VERSION)))
        statement = insert_for(connection, MetaRow).values(key=WRITER_LOCK, value="")
        connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        _ensure_evidence_key(connection)


def _add_missing_columns(connection: Connection) -> None:
    """ALTER TABLE ... ADD COLUMN for each UPGRADES column an older table lacks (in the caller's write
    transaction: DDL is transactional on both databases)."""
    for _version, table_name, column_name, default in UPGRADES:
        present = {column["name"] for column in inspect(connection).get_columns(table_name)}
        if column_name in present:
            continue
        column = Base.metadata.tables[table_name].c[column_name]
        quote = connection.dialect.identifier_preparer.quote
        sql_type = column.type.compile(dialect=connection.dialect)
        if_missing = " IF NOT EXISTS" if is_postgres(connection) else ""
        connection.execute(
            text(
                f"ALTER TABLE {quote(table_name)} ADD COLUMN{if_missing} {quote(column_name)} {sql_type} "
                f"NOT NULL DEFAULT {default}"
            )
        )


def _refuse_newer(engine: Engine) -> None:
    if not inspect(engine).has_table(MetaRow.__tablename__):
        return
    with reading(engine) as connection:
        stored = connection.execute(select(MetaRow.value).where(MetaRow.key == SCHEMA_KEY)).scalar()
    if stored is not None and int(stored) > SCHEMA_VERSION:
        raise ServerDbError(
            f"the server database has schema version {stored}; this server knows up to {SCHEMA_VERSION}"
        )


def evidence_key(connection: Connection) -> bytes:
    """The server's evidence key, made once (at init, or here for a database made before it existed)
    and never changed: two reports of one forged code get the same keyed hash on this server, and
    nobody without the database can tell which text a hash stands for. Kept in `server_meta`, so every
    instance over one database uses the same key; protect the database and its backups accordingly."""
    value = _stored_evidence_key(connection)
    if value is None:
        _ensure_evidence_key(connection)
        value = _stored_evidence_key(connection)
    if value is None:  # pragma: no cover - the row was just written in this transaction
        raise ServerDbError("the server database has no evidence key; run `kiosk server init`")
    return bytes.fromhex(value)


def _stored_evidence_key(connection: Connection) -> str | None:
    value = connection.execute(select(MetaRow.value).where(MetaRow.key == EVIDENCE_KEY)).scalar()
    return None if value is None else str(value)


def _ensure_evidence_key(connection: Connection) -> None:
    statement = insert_for(connection, MetaRow).values(key=EVIDENCE_KEY, value=secrets.token_hex(32))
    connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


def insert_for(connection: Connection, table: Any) -> Any:
    """The dialect's INSERT (with on_conflict_do_*), for SQLite and PostgreSQL alike."""
    statement: Insert = (postgresql.insert if is_postgres(connection) else sqlite.insert)(table)
    return statement


def lock_writer(connection: Connection) -> None:
    """Serialise every transaction that hands out feed positions, so positions commit in order and a
    reader never skips a row committed later with a lower position. SQLite is serialised already."""
    if is_postgres(connection):
        connection.execute(select(MetaRow.value).where(MetaRow.key == WRITER_LOCK).with_for_update())


def lock_booking(connection: Connection, booking_ref: str) -> None:
    """Serialise online checks of one booking across server instances (PostgreSQL advisory lock)."""
    if is_postgres(connection):
        key = int.from_bytes(hashlib.sha256(booking_ref.encode()).digest()[:8], "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged event must survive a power cut
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
