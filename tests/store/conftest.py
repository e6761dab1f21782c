"""Fixtures for the store tests: a kiosk database in tmp_path with office rules and a handful of bookings.

The office is KANIM-JKTSEL (Asia/Jakarta, WIB); the day is Monday 7 December 2026 (after the build
date, so the clock is trusted); the scans happen at 10.15 WIB, inside the arrival window of the 10.00
to 11.00 slot. The code key is fixed, so hashes (and the whole audit chain) are the same on every run.

The constants and helpers here are imported by the test modules (`from tests.store.conftest import ...`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Booking, Category, OfficeRules, Status
from kiosk.domain.payload import parse_payload
from kiosk.store.bookings import IncomingBooking
from kiosk.store.codes import key_path_for
from kiosk.store.db import KioskStore
from kiosk.store.engine import feed_path_for
from kiosk.store.settings import Identity

OFFICE = "KANIM-JKTSEL"
OTHER_OFFICE = "KANIM-BDG"
WIB = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 12, 7)
#: The moment of the scans: inside the 10.00-11.00 slot's window (09.30-12.00 WIB).
NOW = dt.datetime(2026, 12, 7, 10, 15, tzinfo=WIB)
#: When the kiosk was set up and the bookings imported.
SETUP = NOW - dt.timedelta(hours=2)
FIXED_KEY = bytes(range(1, 33))

IDENTITY = Identity(kiosk_id="KIOSK-7", gate="G2", office_code=OFFICE)
RULES = OfficeRules(office_code=OFFICE, zone="Asia/Jakarta")

# The codes on the applicants' phones, and the names the guard sees (never in the audit log).
CODE = "MP7KQ2XAT3M9"
FAMILY_CODE = "FAM3PARTY8KQ"
CANCELLED_CODE = "CANCEL7Q2XA1"
TOMORROW_CODE = "TMRW5Q2XA7B3"
PRIORITY_CODE = "PRIO9Q2XA4C8"
OTHER_OFFICE_CODE = "BDG4Q2XA9D2K"
UNKNOWN_CODE = "NOPE4Q2XA9Z7"
NAMES = ("Siti Rahayu", "Budi Santoso", "Dewi Lestari", "Agus Wijaya", "Rina Kusuma", "Joko Prasetyo")
NIKS = ("7391", "5823", "6047", "8152", "9264", "3718")


def make_booking(ref: str, **changes: Any) -> Booking:
    """A booking for today's 10.00-11.00 slot at OFFICE, with `changes` applied."""
    booking = Booking(
        booking_ref=ref,
        office_code=OFFICE,
        service_date=DAY,
        slot_start=dt.time(10, 0),
        slot_end=dt.time(11, 0),
        display_name="Nama Pemohon",
        nik_last4="0000",
    )
    return dataclasses.replace(booking, **changes)


#: code -> booking, imported into every `store`.
BOOKINGS: dict[str, Booking] = {
    CODE: make_booking("B-0001", display_name=NAMES[0], nik_last4=NIKS[0]),
    FAMILY_CODE: make_booking("B-0002", party_size=3, display_name=NAMES[1], nik_last4=NIKS[1]),
    CANCELLED_CODE: make_booking("B-0003", status=Status.CANCELLED, display_name=NAMES[2], nik_last4=NIKS[2]),
    TOMORROW_CODE: make_booking(
        "B-0004", service_date=DAY + dt.timedelta(days=1), display_name=NAMES[3], nik_last4=NIKS[3]
    ),
    PRIORITY_CODE: make_booking("B-0005", category=Category.PRIORITY_WALKIN, display_name=NAMES[4], nik_last4=NIKS[4]),
    OTHER_OFFICE_CODE: make_booking("B-0006", office_code=OTHER_OFFICE, display_name=NAMES[5], nik_last4=NIKS[5]),
}


def incoming(bookings: dict[str, Booking], updated_at: str = "2026-12-06T00:00:00+00:00") -> list[IncomingBooking]:
    return [IncomingBooking(code, booking, updated_at) for code, booking in bookings.items()]


def present(text: str | bytes) -> Presentation:
    """What the reader hands over for one QR payload."""
    return Presentation(parse_payload(text))


def write_fixed_key(db_path: Path) -> None:
    """The fixed key beside `db_path`; a new database gets an empty SQLite file first: a key file
    beside no database is the trace of a lost one, which KioskStore.open refuses to make anew."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        with closing(sqlite3.connect(db_path)) as connection:
            connection.execute("CREATE TABLE placeholder (x)")
            connection.execute("DROP TABLE placeholder")
            connection.commit()
    key_path_for(db_path).write_text(FIXED_KEY.hex() + "\n", encoding="ascii")


def new_store(db_path: Path, rules: OfficeRules = RULES, **open_options: Any) -> KioskStore:
    """A configured store with BOOKINGS imported, at `db_path` (a new file)."""
    write_fixed_key(db_path)
    store = KioskStore.open(db_path, **open_options)
    try:
        store.settings.configure(IDENTITY, rules, SETUP)
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "test fixture")
    except BaseException:
        store.close()
        raise
    return store


def raw_connection(db_path: Path) -> sqlite3.Connection:
    """The plain sqlite3 module on the database, with the booking file beside it attached as the kiosk
    does (so `bookings` names its table), as someone editing the files by hand would open them."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    feed = feed_path_for(db_path)
    if feed.exists():
        connection.execute("ATTACH DATABASE ? AS feed", (str(feed),))
    return connection


def raw_sql(db_path: Path, sql: str, parameters: Any = ()) -> list[Any]:
    """Run one statement with the plain sqlite3 module, as someone editing the file by hand would."""
    with closing(raw_connection(db_path)) as connection:
        return connection.execute(sql, parameters).fetchall()


def raw_script(db_path: Path, script: str) -> None:
    with closing(raw_connection(db_path)) as connection:
        connection.executescript(script)


def file_bytes(db_path: Path) -> bytes:
    """The database's files and their WALs, as a thief copying them would get them."""
    data = b""
    for path in (db_path, feed_path_for(db_path)):
        wal = path.with_name(path.name + "-wal")
        for part in (path, wal):
            data += part.read_bytes() if part.exists() else b""
    return data


def table_counts(db_path: Path) -> dict[str, int]:
    return {
        table: raw_sql(db_path, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("scan_events", "outbox", "audit_log", "bookings", "guards")
    }


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[KioskStore]:
    """A configured kiosk store (default rules: whole party per scan, once per day) with BOOKINGS."""
    store = new_store(db_path)
    yield store
    store.close()


def break_btree_page(path: Path, name: str) -> None:
    """Damage the b-tree root page of table or index `name` in the SQLite file `path` (a leaf in these
    small files): a cell count no page can hold. SQLite notices it only when it reads that page, so a
    kiosk that never reads it (a scan does not read the guards, nor the bookings' date index) goes on
    working on a damaged file unless it checks the whole file (PRAGMA quick_check). Nobody may have
    the file open: its WAL is copied into it first, so the damage is what every reader sees."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        assert handle.read(1) in (b"\x0a", b"\x0d"), "not a leaf page"
        handle.seek((root - 1) * page_size + 3)
        handle.write(b"\xff\xff")
