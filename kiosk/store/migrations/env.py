"""Alembic environment: the kiosk always hands in its own connection (see store/migrate.py)."""

from __future__ import annotations

from alembic import context

from kiosk.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the kiosk never runs alembic without a connection
    raise RuntimeError("kiosk migrations run through kiosk.store.migrate, not the alembic command")
# version_table_schema: the feed file attached as `feed` has an alembic_version table of its own.
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, version_table_schema="main"
)
with context.begin_transaction():
    context.run_migrations()
