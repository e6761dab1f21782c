"""Alembic environment of the booking feed's file (see store/engine.py): the kiosk always hands in its
own connection, on the feed file alone (kiosk.store.migrate.upgrade_feed)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the kiosk never runs alembic without a connection
    raise RuntimeError("kiosk migrations run through kiosk.store.migrate, not the alembic command")
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
