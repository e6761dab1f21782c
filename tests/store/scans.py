"""What the tests of the guard's actions, queue and status share: scans recorded at a fixed time and
rows read back (the store comes from tests/ui/fixtures.make_store: demo bookings, two guards)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from kiosk.store.db import KioskStore
from tests.ui.fixtures import NOW, presentation

LATER = NOW + dt.timedelta(minutes=1)


def scan(store: KioskStore, code: str, at: dt.datetime = NOW) -> str:
    """Record `code` as scanned at `at`; its event id."""
    return store.decisions.record(presentation(code), at).event_uuid


def rows(store: KioskStore, table: type) -> list[dict[str, object]]:
    with store.reading() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table))]
