"""Schema versions: upgrade an older database at start, refuse a newer one with a clear message."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from kiosk.store.engine import IMMEDIATE

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaError(Exception):
    """The database cannot be used by this version of the kiosk (the message says why and what to do)."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def check_not_newer(engine: Engine) -> None:
    """Refuse a database written by a newer kiosk: an old program must not guess at a new schema."""
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
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
    config = alembic_config()
    with engine.connect().execution_options(**{IMMEDIATE: True}) as connection, connection.begin():
        problem = refusal(
            MigrationContext.configure(connection).get_current_revision(),
            set(inspect(connection).get_table_names()),
        )
        if problem is not None:
            raise SchemaError(problem)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def needs_upgrade(engine: Engine) -> bool:
    return current_revision(engine) != head_revision()
