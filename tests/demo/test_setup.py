"""The demo's set-up (kiosk/demo/setup.py): one rule for what counts as a demo database, the same for the
windows, the text demo and the screenshots; a real office's database is never touched."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from kiosk.demo import data
from kiosk.demo.gui import run_demo
from kiosk.demo.setup import (
    DEMO_GUARD,
    NotADemoDatabaseError,
    is_demo_database,
    open_demo_store,
    prepare_demo,
)
from kiosk.demo.showcase import DEMO_KIOSK_ID
from kiosk.domain.model import OfficeRules
from kiosk.store import migrate
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.engine import make_engine
from kiosk.store.settings import Identity

RULES = OfficeRules("DPS", zone="Asia/Makassar")
START = dt.datetime(2027, 3, 15, 10, 0, tzinfo=RULES.tz)


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_DB", raising=False)


def office_database(path: Path, *, bookings: bool) -> bytes:
    """A real office's database (set up for DPS, gate G1), with or without bookings; its bytes."""
    with KioskStore.open(path) as store:
        store.settings.configure(Identity("KIOSK-1", "G1", "DPS"), RULES, START)
        if bookings:
            day = data.generate_day("DPS", "WITA", START.date(), data.MIN_DAY_COUNT, random.Random(1))
            store.bookings.import_rows([b.incoming() for b in day], START, source="test")
    return path.read_bytes()


def test_a_new_file_and_a_demo_database_are_demo_databases(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "demo.db"
    with open_demo_store(path) as store:
        assert is_demo_database(store)  # never set up, no bookings
        setup = prepare_demo(store, start=START, background=0)
        assert store.settings.identity().kiosk_id == DEMO_KIOSK_ID
        assert any(guard.name == DEMO_GUARD for guard in store.guards.all())
        assert setup.start == START
    with open_demo_store(path) as store:  # again: it says it is one, bookings and all
        assert is_demo_database(store) and store.bookings.count() > 0


@pytest.mark.parametrize("bookings", [True, False], ids=["with bookings", "set up, no bookings yet"])
def test_a_real_office_database_is_refused_and_left_as_it_was(tmp_path: Path, bookings: bool) -> None:
    path = tmp_path / "kiosk.db"
    before = office_database(path, bookings=bookings)
    with pytest.raises(NotADemoDatabaseError, match="is not a demo database"):
        open_demo_store(path)
    assert path.read_bytes() == before


def test_the_windowed_demo_refuses_a_real_database_too(tmp_path: Path) -> None:
    """The windowed demo used to accept a set-up office database without bookings (and upgrade any)."""
    path = tmp_path / "kiosk.db"
    before = office_database(path, bookings=False)
    said: list[str] = []
    assert run_demo(path, say=said.append) == 2
    assert len(said) == 1 and said[0].startswith("kiosk demo: ") and "is not a demo database" in said[0]
    assert path.read_bytes() == before


def test_an_older_database_elsewhere_is_not_upgraded_to_look_at_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, "0001")
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="needs an upgrade"):
        open_demo_store(path)


def test_the_demo_office_and_its_neighbours_have_their_full_names(tmp_path: Path) -> None:
    """The demo's applicant screen and report name the office, and its wrong-office booking names the
    office it was made for (as a server's office directory would); preparing again adds no entry."""
    import sqlite3
    from contextlib import closing

    from kiosk.domain.explain import Lang, explain
    from kiosk.domain.model import Decision, Reason

    path = tmp_path / "demo.db"
    with open_demo_store(path) as store:
        setup = prepare_demo(store, start=START, background=0)
        prepare_demo(store, start=START, background=0)
        assert store.settings.office_name() == "Kantor Imigrasi Kelas I TPI Denpasar"
        names = store.settings.office_names()
    with closing(sqlite3.connect(path)) as raw:
        entries = raw.execute("SELECT count(*) FROM audit_log WHERE subject = 'office.names'").fetchone()[0]
    assert entries == 1
    [wrong] = [sample for sample in setup.samples if sample.expect is Reason.WRONG_OFFICE]
    assert wrong.booking is not None
    other = wrong.booking.booking.office_code
    assert names[other] == "Kantor Imigrasi Kelas II TPI Singaraja"
    sentence = explain(Decision.of(Reason.WRONG_OFFICE, office=other), Lang.ID, names).sentence
    assert sentence.startswith("Jadwal Anda di Kantor Imigrasi Kelas II TPI Singaraja, bukan di kantor ini.")
    assert set(data.OTHER_OFFICES["Asia/Makassar"]) <= set(names)
