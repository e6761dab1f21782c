"""The running kiosk's own purge (kiosk/workers/retention.py): bookings past the retention period go,
on the writer thread, at the first turn after the start and again at every later turn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.store.db import KioskStore, StoreError
from kiosk.workers import retention
from kiosk.workers.db_writer import DbWriter
from kiosk.workers.qtfix import fix_pyside_refcounts
from kiosk.workers.retention import RetentionKeeper
from tests.store.conftest import BOOKINGS, NOW, SETUP, incoming, make_booking, new_store

fix_pyside_refcounts()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    opened = new_store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


@pytest.fixture
def writer(store: KioskStore) -> Iterator[DbWriter]:
    started = DbWriter(store)
    started.start()
    yield started
    started.stop()


def add_old_booking(store: KioskStore, ref: str, days_ago: int) -> None:
    old = make_booking(ref, service_date=NOW.date() - dt.timedelta(days=days_ago))
    store.bookings.import_rows(incoming({f"OLD{days_ago:02d}Q2XA9Z7K": old}), SETUP, ref)


def test_old_bookings_go_at_the_first_turn_and_at_every_later_one(
    qtbot: QtBot, store: KioskStore, writer: DbWriter
) -> None:
    add_old_booking(store, "B-OLD10", 10)
    now = [NOW]
    keeper = RetentionKeeper(writer, 7, lambda: now[0], first_ms=1, every_ms=3_600_000)
    keeper.start()
    qtbot.waitUntil(lambda: len(keeper.purges) == 1)
    assert keeper.purges[0].bookings == 1 and store.bookings.count() == len(BOOKINGS)
    head = store.audit.head().seq
    add_old_booking(store, "B-OLD09", 9)
    now[0] = NOW + dt.timedelta(hours=6)
    keeper.purge_now()  # what the next turn does
    qtbot.waitUntil(lambda: len(keeper.purges) == 2)
    assert keeper.purges[1].bookings == 1 and store.bookings.count() == len(BOOKINGS)
    assert store.audit.head().seq > head and store.audit.verify().ok  # each purge is evidence
    keeper.stop()


def test_a_booking_inside_the_retention_period_stays(qtbot: QtBot, store: KioskStore, writer: DbWriter) -> None:
    add_old_booking(store, "B-OLD05", 5)
    keeper = RetentionKeeper(writer, 7, lambda: NOW, first_ms=1)
    keeper.start()
    qtbot.waitUntil(lambda: len(keeper.purges) == 1)
    assert keeper.purges[0].bookings == 0 and store.bookings.count() == len(BOOKINGS) + 1
    keeper.stop()


def test_a_purge_that_fails_is_logged_and_the_next_turn_still_comes(
    qtbot: QtBot, writer: DbWriter, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(_store: KioskStore, _now: dt.datetime, _days: int) -> None:
        raise StoreError("database is locked")

    monkeypatch.setattr(retention, "_purge", locked)
    keeper = RetentionKeeper(writer, 7, lambda: NOW, first_ms=1)
    keeper.start()
    qtbot.waitUntil(
        lambda: any("the purge failed (StoreError: database is locked)" in r.getMessage() for r in caplog.records)
    )
    assert keeper.purges == []
    assert keeper._timer.isActive()  # the next turn is planned
    keeper.stop()


def test_no_purge_once_the_writer_has_stopped(store: KioskStore) -> None:
    writer = DbWriter(store)
    writer.start()
    writer.stop()
    keeper = RetentionKeeper(writer, 7, lambda: NOW)
    keeper.purge_now()  # the kiosk is closing: nothing to do, nothing raised
    assert keeper.purges == []
    keeper.stop()


def test_no_purge_while_the_clock_is_not_trusted(
    qtbot: QtBot, store: KioskStore, writer: DbWriter, caplog: pytest.LogCaptureFixture
) -> None:
    """A clock set days ahead would delete today's bookings for good: the door's own clock test decides."""
    add_old_booking(store, "B-OLD10", 10)
    before = store.bookings.count()
    keeper = RetentionKeeper(writer, 7, lambda: dt.datetime(2020, 1, 1, tzinfo=dt.UTC), first_ms=1)  # before the build
    keeper.start()
    qtbot.waitUntil(lambda: any("ClockNotTrustedError" in r.getMessage() for r in caplog.records))
    assert keeper.purges == [] and store.bookings.count() == before
    keeper.stop()
