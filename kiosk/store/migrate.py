"""Schema versions: upgrade an older database at start, refuse a newer one with a clear message.

Two histories: the database file's (store/migrations) and the booking feed file's
(store/feed_migrations, its own alembic_version table in that file; see store/engine.py). The feed
file is brought up to date first, on its own engine; a database from before the split has its
bookings and sync state copied over (carry_over_feed) before its migration 0003 drops them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from kiosk.store.engine import FEED_SCHEMA, IMMEDIATE, IMMEDIATE_BOTH

MIGRATIONS = Path(__file__).with_name("migrations")
FEED_MIGRATIONS = Path(__file__).with_name("feed_migrations")
#: The feed's tables as migration 0001 made them in the database file, with the columns to carry over.
_CARRIED = {
    "bookings": (
        "id, code_hash, booking_ref, office_code, service_date, slot_start, slot_end, status, party_size, "
        "category, display_name, nik_last4, code_masked, version, updated_at, row_mac"
    ),
    "sync_state": "id, cursor, data_as_of, last_attempt_at, last_success_at, server_offset_s, last_error",
}


class SchemaError(Exception):
    """The database cannot be used by this version of the kiosk (the message says why and what to do)."""


def alembic_config(location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(location))
    return config


def head_revision(location: Path = MIGRATIONS) -> str:
    head = ScriptDirectory.from_config(alembic_config(location)).get_current_head()
    assert head is not None
    return head


def _main_revision(connection: Connection) -> str | None:
    """The database file's revision: its own alembic_version, never the attached feed file's."""
    return MigrationContext.configure(connection, opts={"version_table_schema": "main"}).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _main_revision(connection)


def known_revisions(location: Path = MIGRATIONS) -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config(location)).walk_revisions()}


def check_not_newer(engine: Engine) -> None:
    """Refuse a database written by a newer kiosk: an old program must not guess at a new schema."""
    with engine.connect() as connection:
        revision = _main_revision(connection)
        tables = set(inspect(connection).get_table_names())
    problem = refusal(revision, tables)
    if problem is not None:
        raise SchemaError(problem)


def refusal(revision: str | None, tables: set[str]) -> str | None:
    """Why a database with this schema `revision` and these `tables` cannot be used (None: it can)."""
    if revision is not None and revision not in known_revisions():
        return (
            f"this database has schema version {revision}, which is newer than this kiosk software knows "
            f"(newest known: {head_revision()}). Install the newer kiosk software, or restore a database "
            "made by this version."
        )
    if revision is None and tables - {"alembic_version"}:
        return "this file is an SQLite database, but not a kiosk database (it has no schema version)"
    return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest), all steps in one transaction.

    The transaction holds the write lock from the start (BEGIN IMMEDIATE), and the check for a newer
    or foreign database runs inside it: two programs opening a new database at once migrate one after
    the other instead of both creating the same tables."""
    carry_over_feed(engine)
    config = alembic_config()
    with engine.connect().execution_options(**{IMMEDIATE: IMMEDIATE_BOTH}) as connection, connection.begin():
        _refuse_foreign(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _refuse_foreign(connection: Connection) -> None:
    problem = refusal(_main_revision(connection), set(inspect(connection).get_table_names()))
    if problem is not None:
        raise SchemaError(problem)


def carry_over_feed(engine: Engine) -> int:
    """A database from before the feed file: copy its bookings and sync state into the feed file (whose
    schema is already up to date), in a transaction of its own, committed before migration 0003 drops
    them; repeated after a crash, it copies the same rows again. Returns the bookings copied."""
    copied = 0
    with engine.connect().execution_options(**{IMMEDIATE: IMMEDIATE_BOTH}) as connection, connection.begin():
        _refuse_foreign(connection)
        tables = set(inspect(connection).get_table_names())
        attached = {row[1] for row in connection.exec_driver_sql("PRAGMA database_list")}
        if tables & _CARRIED.keys() and FEED_SCHEMA not in attached:
            raise SchemaError(
                "this upgrade moves the bookings into their own file, which the database connection must have "
                "attached (open the database with KioskStore.open or `kiosk db upgrade`)"
            )
        for table, columns in _CARRIED.items():
            if table in tables:
                result = connection.exec_driver_sql(
                    f"INSERT OR REPLACE INTO {FEED_SCHEMA}.{table} ({columns}) SELECT {columns} FROM main.{table}"
                )
                copied += (result.rowcount or 0) if table == "bookings" else 0
    return copied


def needs_upgrade(engine: Engine) -> bool:
    return current_revision(engine) != head_revision()


def upgrade_feed(feed_engine: Engine) -> None:
    """Bring the feed file's schema up to date (its own history), refusing one from a newer kiosk."""
    config = alembic_config(FEED_MIGRATIONS)
    with feed_engine.connect().execution_options(**{IMMEDIATE: True}) as connection, connection.begin():
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is not None and revision not in known_revisions(FEED_MIGRATIONS):
            raise SchemaError(
                f"the booking file has schema version {revision}, which is newer than this kiosk software "
                f"knows (newest known: {head_revision(FEED_MIGRATIONS)}). Install the newer kiosk software."
            )
        tables = set(inspect(connection).get_table_names())
        if revision is None and tables - {"alembic_version"}:
            raise SchemaError("the booking file is an SQLite database, but not a kiosk's (it has no schema version)")
        if revision == head_revision(FEED_MIGRATIONS):
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
