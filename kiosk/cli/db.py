"""`kiosk db status` and `kiosk db upgrade`: the database file, its schema version and what it holds."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

from kiosk.cli.common import EXIT_FAILED, EXIT_OK, NO_OFFICE_NAME, CliError, Context, command, needs_subcommand
from kiosk.store import migrate
from kiosk.store.opening import refuse_if_lost


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "db", needs_subcommand, "the database file", db)
    sub = parser.add_subparsers(title="db commands", metavar="ACTION", required=True)
    command(sub, "status", cmd_db_status, "show the schema version and what the database holds", db)
    command(sub, "upgrade", cmd_db_upgrade, "upgrade the database to this kiosk's schema version", db)


def cmd_db_status(ctx: Context) -> int:
    path = ctx.db_path()
    refuse_if_lost(path)
    if not path.exists():
        raise CliError(f"no kiosk database at {path}")
    revision, state = _schema_state(path)
    ctx.say(f"database:       {path}")
    ctx.say(f"schema version: {revision or 'none'} ({state}; this kiosk's: {migrate.head_revision()})")
    if state != "up to date":
        return EXIT_FAILED if state.startswith("newer") else EXIT_OK
    with ctx.open_store() as store:
        identity, rules = store.settings.identity(), store.settings.rules()
        ctx.say(f"kiosk:          {identity.kiosk_id}, gate {identity.gate}, office {identity.office_code}")
        ctx.say(f"office name:    {store.settings.office_name() or NO_OFFICE_NAME}")
        ctx.say(f"office zone:    {rules.zone} ({rules.zone_abbreviation})")
        lost = (
            " (the booking file was lost: import the bookings again; until then unknown codes go to the officer)"
            if store.bookings.data_lost()
            else ""
        )
        ctx.say(f"bookings:       {store.bookings.count():,}{lost}")
        behind = store.bookings.file_behind()
        if behind is not None and not lost:  # a lost file is said above; it is behind its anchor too
            ctx.say(
                f"bookings:       OLDER than this database last saw ({behind}): the booking file was rolled "
                "back or replaced; every code goes to the officer until the next sync / import"
            )
        ctx.say(f"guards:         {len(store.guards.all())}")
        ctx.say(f"not uploaded:   {store.decisions.outbox_size():,} event(s)")
        refused = store.decisions.refused_uploads()
        if refused:
            ctx.say(f"refused:        {refused:,} upload(s) refused for good, kept for IT (kiosk sync status)")
        ctx.say(f"audit head:     entry {store.audit.head().seq}")
        intact = store.integrity_ok()
        ctx.say(f"file integrity: {'ok' if intact else 'DAMAGED (restore from backup, or re-create and sync)'}")
    return EXIT_OK if intact else EXIT_FAILED


def cmd_db_upgrade(ctx: Context) -> int:
    path = ctx.db_path()
    refuse_if_lost(path)
    if not path.exists():
        raise CliError(f"no kiosk database at {path}")
    before, _state = _schema_state(path)
    with ctx.open_store(upgrade=True):
        pass
    after, _state = _schema_state(path)
    if before == after:
        ctx.say(f"{path}: already at schema version {after}")
    else:
        ctx.say(f"{path}: upgraded from schema version {before or 'none'} to {after}")
    return EXIT_OK


def _schema_state(path: Path) -> tuple[str | None, str]:
    """The schema version in the file, read without changing it, and how it compares with ours."""
    with path.open("rb") as handle:
        if handle.read(16) not in (b"SQLite format 3\x00", b""):
            raise CliError(f"{path} is not an SQLite database (is it the right file? is it damaged?)")
    try:
        revision, tables = _read_schema_version(path)
    except sqlite3.Error as exc:
        raise CliError(f"cannot read the schema version of {path}: {exc} (is the file damaged?)") from exc
    problem = migrate.refusal(revision, tables)
    if problem is not None and revision is not None:
        return revision, "newer than this kiosk knows: install the newer kiosk software"
    if problem is not None:
        raise CliError(f"{path}: {problem}")
    if revision == migrate.head_revision():
        return revision, "up to date"
    return revision, "needs `kiosk db upgrade`"


def _read_schema_version(path: Path) -> tuple[str | None, set[str]]:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            return None, tables
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return (None if row is None else str(row[0])), tables
    finally:
        connection.close()
