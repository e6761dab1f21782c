"""Bookings: kept under a keyed hash of the code, sealed against hand edits, newer versions win."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from kiosk.domain.model import Booking, Reason, Status, Verdict
from kiosk.store import bookings as booking_repo
from kiosk.store.bookings import IncomingBooking
from kiosk.store.codes import CodeHasher, CodeKeyError, key_path_for, load_or_create_key
from kiosk.store.db import KioskStore, StoreError
from tests.store.conftest import (
    BOOKINGS,
    CANCELLED_CODE,
    CODE,
    FAMILY_CODE,
    FIXED_KEY,
    NOW,
    SETUP,
    UNKNOWN_CODE,
    file_bytes,
    make_booking,
    present,
    raw_sql,
    table_counts,
)


def lookup(store: KioskStore, code: str) -> Booking | None:
    with store.reading() as connection:
        return booking_repo.find(connection, store.hasher, store.hasher.hash(code))


# --- the keyed hash ------------------------------------------------------------------------------------


def test_lookup_returns_the_booking_as_imported(store: KioskStore) -> None:
    for code, booking in BOOKINGS.items():
        found = lookup(store, code)
        masked = f"{code[:2]}{'*' * (len(code) - 4)}{code[-2:]}"
        assert found == dataclasses.replace(booking, code_masked=masked)
    assert lookup(store, UNKNOWN_CODE) is None


def test_the_code_is_stored_only_as_its_keyed_hash(store: KioskStore, db_path: Path) -> None:
    rows = raw_sql(db_path, "SELECT code_hash, code_masked FROM bookings WHERE booking_ref = 'B-0001'")
    assert rows == [(CodeHasher(FIXED_KEY).hash(CODE), "MP********M9")]
    assert rows[0][0] != hashlib.sha256(CODE.encode()).digest()  # keyed: not a plain hash anyone can compute


def test_no_booking_code_appears_in_the_database_files(store: KioskStore, db_path: Path) -> None:
    for code in (*BOOKINGS, UNKNOWN_CODE):
        store.decisions.record(present(code.lower()), NOW)  # scanned too: events, outbox and audit see them
    store.decisions.record(present(f"{CODE[:4]}-{CODE[4:8]}-{CODE[8:]}"), NOW)  # hyphenated form of a known code
    for snapshot in (file_bytes(db_path),):  # while open: main file + WAL
        for code in (*BOOKINGS, UNKNOWN_CODE):
            for form in (code, code.lower(), f"{code[:4]}-{code[4:8]}-{code[8:]}"):
                assert form.encode() not in snapshot, form
    store.close()
    closed = file_bytes(db_path)  # after the checkpoint on close
    for code in (*BOOKINGS, UNKNOWN_CODE):
        assert code.encode() not in closed
        assert code.encode().hex().encode() not in closed


def test_a_code_differing_in_case_or_hyphens_finds_the_same_booking(store: KioskStore) -> None:
    decision = store.decisions.decide_only(present(f"{CODE[:6].lower()}-{CODE[6:]}"), NOW)
    assert decision.verdict is Verdict.ADMIT
    assert decision.booking is not None
    assert decision.booking.booking_ref == "B-0001"


# --- the key file --------------------------------------------------------------------------------------


def test_a_wrong_key_file_is_refused_at_open(store: KioskStore, db_path: Path) -> None:
    store.close()
    key_path_for(db_path).write_text(bytes(range(100, 132)).hex(), encoding="ascii")
    with pytest.raises(StoreError, match=r"does not belong to this database \(its fingerprint differs\)"):
        KioskStore.open(db_path)


def test_a_missing_key_file_is_refused_at_open(store: KioskStore, db_path: Path) -> None:
    store.close()
    key_path_for(db_path).unlink()
    with pytest.raises(StoreError, match=r"code key file .* is missing"):
        KioskStore.open(db_path)
    assert not key_path_for(db_path).exists()  # not silently replaced by a new key


@pytest.mark.parametrize("content", ["not hex at all", "abcd", ""])
def test_a_damaged_key_file_is_refused_at_open(store: KioskStore, db_path: Path, content: str) -> None:
    store.close()
    key_path_for(db_path).write_text(content, encoding="ascii")
    with pytest.raises(StoreError, match="code key"):
        KioskStore.open(db_path)


def test_a_new_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db.key"
    hasher = load_or_create_key(path, create=True)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path, create=False).fingerprint == hasher.fingerprint
    with pytest.raises(CodeKeyError, match="32 bytes"):
        CodeHasher(b"short")


def test_a_database_without_bookings_may_get_a_new_key(tmp_path: Path) -> None:
    db_path = tmp_path / "empty.db"
    KioskStore.open(db_path).close()
    key_path_for(db_path).unlink()
    with KioskStore.open(db_path) as store:  # nothing was hashed with the old key: nothing to lose
        assert store.bookings.count() == 0
    assert key_path_for(db_path).exists()


# --- the row seal --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "change"),
    [
        pytest.param(CANCELLED_CODE, "status = 'active'", id="cancelled-to-active"),
        pytest.param(CODE, "service_date = '2026-12-08'", id="service-date"),
        pytest.param(CODE, "slot_end = '23:59'", id="slot-end"),
        pytest.param(FAMILY_CODE, "party_size = 5", id="party-size"),
        pytest.param(CODE, "office_code = 'KANIM-XXX'", id="office"),
        pytest.param(CODE, "display_name = 'Someone Else'", id="name"),
        pytest.param(CODE, "version = 99", id="version"),
        pytest.param(CODE, "row_mac = zeroblob(32)", id="mac"),
    ],
)
def test_a_booking_edited_by_hand_is_refused_and_nothing_is_recorded(
    store: KioskStore, db_path: Path, code: str, change: str
) -> None:
    ref = BOOKINGS[code].booking_ref
    raw_sql(db_path, f"UPDATE bookings SET {change} WHERE booking_ref = ?", (ref,))
    before = table_counts(db_path)
    with pytest.raises(StoreError, match="changed by hand"):
        store.decisions.record(present(code), NOW)
    with pytest.raises(StoreError, match="changed by hand"):
        store.decisions.decide_only(present(code), NOW)
    assert table_counts(db_path) == before
    # the other bookings still work
    assert (
        store.decisions.record(present(FAMILY_CODE if code != FAMILY_CODE else CODE), NOW).decision.verdict
        is Verdict.ADMIT
    )


def test_a_code_hash_moved_to_another_row_is_refused(store: KioskStore, db_path: Path) -> None:
    """Swapping a cancelled booking's hash onto an active row is an edit too: the seal covers the hash."""
    cancelled_hash = raw_sql(db_path, "SELECT code_hash FROM bookings WHERE booking_ref = 'B-0003'")[0][0]
    raw_sql(db_path, "DELETE FROM bookings WHERE booking_ref = 'B-0003'")
    raw_sql(db_path, "UPDATE bookings SET code_hash = ? WHERE booking_ref = 'B-0001'", (cancelled_hash,))
    with pytest.raises(StoreError, match="changed by hand"):
        store.decisions.record(present(CANCELLED_CODE), NOW)


# --- upsert --------------------------------------------------------------------------------------------


def test_a_newer_version_replaces_an_older_one(store: KioskStore) -> None:
    newer = make_booking("B-0001", status=Status.CANCELLED, version=2, display_name="Siti Rahayu")
    assert store.bookings.import_rows([IncomingBooking(CODE, newer, "2026-12-07T00:00:00+00:00")], SETUP, "sync") == 1
    found = lookup(store, CODE)
    assert found is not None
    assert (found.status, found.version) == (Status.CANCELLED, 2)
    assert store.decisions.decide_only(present(CODE), NOW).reason is Reason.CANCELLED


def test_an_older_version_does_not_replace_a_newer_one(store: KioskStore) -> None:
    newer = make_booking("B-0001", status=Status.CANCELLED, version=3)
    older = make_booking("B-0001", status=Status.ACTIVE, version=2, slot_start=dt.time(8, 0))
    store.bookings.import_rows([IncomingBooking(CODE, newer, "2026-12-07T01:00:00+00:00")], SETUP, "sync")
    store.bookings.import_rows([IncomingBooking(CODE, older, "2026-12-07T00:00:00+00:00")], SETUP, "late page")
    found = lookup(store, CODE)
    assert found is not None
    assert (found.status, found.version, found.slot_start) == (Status.CANCELLED, 3, newer.slot_start)
    assert store.bookings.count() == len(BOOKINGS)


def test_the_same_version_again_is_applied(store: KioskStore) -> None:
    """A page sent twice (same version) is harmless: the row is rewritten with the same values."""
    again = BOOKINGS[CODE]
    store.bookings.import_rows([IncomingBooking(CODE, again, "2026-12-06T00:00:00+00:00")], SETUP, "page again")
    assert lookup(store, CODE) == dataclasses.replace(again, code_masked="MP********M9")
    assert store.bookings.count() == len(BOOKINGS)


def test_a_new_code_for_a_booking_replaces_the_old_one(store: KioskStore) -> None:
    changed = dataclasses.replace(BOOKINGS[CODE], version=2)
    store.bookings.import_rows([IncomingBooking(UNKNOWN_CODE, changed, "2026-12-07T00:00:00+00:00")], SETUP, "sync")
    assert lookup(store, CODE) is None
    found = lookup(store, UNKNOWN_CODE)
    assert found is not None
    assert store.bookings.count() == len(BOOKINGS)


def test_an_import_is_one_transaction_and_is_audited(store: KioskStore) -> None:
    head = store.audit.head()
    good = IncomingBooking("GOOD4Q2XA9Z7", make_booking("B-0101"), "2026-12-07T00:00:00+00:00")
    clash = IncomingBooking(CODE, make_booking("B-0102"), "2026-12-07T00:00:00+00:00")  # B-0001's code
    with pytest.raises(StoreError, match=r"UNIQUE constraint failed: bookings\.code_hash"):
        store.bookings.import_rows([good, clash], SETUP, "broken feed")
    assert store.bookings.count() == len(BOOKINGS)
    assert store.audit.head() == head
    assert store.bookings.import_rows([good], SETUP, "feed") == 1
    assert store.audit.head().seq == head.seq + 1


def test_large_imports_go_in_batches(store: KioskStore) -> None:
    many = [
        IncomingBooking(f"BATCH{i:07d}", make_booking(f"B-9{i:05d}"), "2026-12-07T00:00:00+00:00") for i in range(4500)
    ]
    assert store.bookings.import_rows(many, SETUP, "big feed") == 4500
    assert store.bookings.count() == len(BOOKINGS) + 4500
    assert store.decisions.decide_only(present("BATCH0004499"), NOW).verdict is Verdict.ADMIT


def test_upsert_rows_counts_only_what_it_wrote(store: KioskStore) -> None:
    """The one upsert (imports, learned codes and the sync all use it): a newer or equal version is
    written, an older one left alone and not counted."""

    def rows(version: int) -> list[dict[str, object]]:
        return [
            booking_repo.to_row(store.hasher, IncomingBooking(code, dataclasses.replace(b, version=version), "t"))
            for code, b in BOOKINGS.items()
        ]

    with store.writing() as connection:
        assert booking_repo.upsert_rows(connection, rows(3)) == len(BOOKINGS)
        assert booking_repo.upsert_rows(connection, rows(3)) == len(BOOKINGS)  # the same again: rewritten
        assert booking_repo.upsert_rows(connection, rows(2)) == 0  # older: nothing written
        assert booking_repo.upsert_rows(connection, []) == 0
    found = lookup(store, CODE)
    assert found is not None and found.version == 3
