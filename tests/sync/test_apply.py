"""Store-side sync without a server (kiosk/sync/apply.py): a page is checked before it is applied; a
page and its cursor go in together, in transactions that step aside for the gate's scans; its audit
entry follows, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from kiosk.protocol.schema import OfficeInfo, Tombstone
from kiosk.protocol.wire import ProtocolError, keyring_of
from kiosk.store import audit
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow, BookingRow
from kiosk.sync import apply, enrolment, state
from tests.store.conftest import present
from tests.sync.pages import ENROLLED, NOW, enrolled_store, page, wire


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    opened = enrolled_store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def count(store: KioskStore) -> int:
    with store.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(BookingRow)).scalar_one())


def test_page_and_cursor_are_one_transaction(store: KioskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    first = page([wire("MP7K2Q9T3M", "R1"), wire("AB12CD34EF", "R2")])

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(state, "put_state", broken)  # the cursor's write, the page's last statement
    with pytest.raises(RuntimeError):
        apply.apply_page(store, first, None, NOW, NOW)
    monkeypatch.undo()
    with store.reading() as connection:
        assert state.cursor(connection) is None
    assert count(store) == 0
    applied = apply.apply_page(store, first, None, NOW, NOW, 0.5)
    assert applied.complete and applied.bookings == 2 and applied.lock_ms > 0
    assert count(store) == 2 and state.status(store).server_offset_s == 0.5
    # the same page again (a retried request): refused, since the cursor has moved on
    with pytest.raises(ProtocolError, match="cursor moved"):
        apply.apply_page(store, first, None, NOW, NOW)


def test_page_checks() -> None:
    good = page([wire("MP7K2Q9T3M", "R1")], since="0a0b0c0d.1")
    apply.check_page(good, "0a0b0c0d.1", ENROLLED)
    cases = {
        "not the one asked": (good, "0a0b0c0d.0"),
        "backwards": (page([], since="0a0b0c0d.5", cursor="0a0b0c0d.4"), "0a0b0c0d.5"),
        "office": (page([wire("MP7K2Q9T3M", "R1", office_code="OTHER")], since=None), None),
        "kiosk": (page([], kiosk_id="K-2"), None),
        "twice": (
            page([wire("MP7K2Q9T3M", "R1")], tombstones=[Tombstone(booking_ref="R1", version=2, status="removed")]),
            None,
        ),
        "live": (page([wire("MP7K2Q9T3M", "R1", status="cancelled")]), None),
        "rules": (page([], office=OfficeInfo(office_code="JKTSEL", rules={"zone": "Mars"})), None),
        "keys": (page([], keys=[]), None),
    }
    for name, (bad, asked) in cases.items():
        with pytest.raises(ProtocolError):
            apply.check_page(bad, asked, ENROLLED)
        assert name


def test_tombstones_and_code_owners(store: KioskStore) -> None:
    apply.apply_page(store, page([wire("MP7K2Q9T3M", "R1"), wire("AB12CD34EF", "R2")]), None, NOW, NOW)
    later = page(
        [wire("MP7K2Q9T3M", "R9")],  # the code now belongs to another booking
        since="0a0b0c0d.3",
        cursor="0a0b0c0d.6",
        tombstones=[Tombstone(booking_ref="R2", version=5, status="removed")],
    )
    apply.apply_page(store, later, "0a0b0c0d.3", NOW, NOW)
    with store.reading() as connection:
        refs = sorted(connection.execute(select(BookingRow.booking_ref)).scalars())
    assert refs == ["R9"]


def bookings_table(store: KioskStore) -> list[tuple[object, ...]]:
    with store.reading() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(BookingRow.booking_ref, BookingRow.code_hash, BookingRow.status, BookingRow.version).order_by(
                    BookingRow.booking_ref
                )
            )
        ]


def sync_entries(store: KioskStore) -> list[str]:
    with store.reading() as connection:
        return list(connection.execute(select(AuditRow.subject).where(AuditRow.kind == "sync.page")).scalars())


BIG = page(
    [wire(f"MP7K2Q9T{n:02d}", f"R{n}") for n in range(7)],
    tombstones=[
        Tombstone(
            booking_ref="R8",
            version=2,
            status="cancelled",
            code="AB12CD34EF",
            office_code="JKTSEL",
            service_date=dt.date(2026, 12, 1),
            slot_start="10:00",
            slot_end="10:30",
        )
    ],
)


def test_a_page_in_several_transactions_moves_its_cursor_with_the_last(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go in a few at a time; the cursor only with the last of them, then the page's audit entry.
    A page cut short is applied again from the cursor that did not move, to the same end."""
    transactions: list[bool] = []
    feed_writing = KioskStore.feed_writing

    @contextmanager
    def counted(self: KioskStore, *, durable: bool = False) -> Iterator[Connection]:
        with feed_writing(self, durable=durable) as connection:
            yield connection
        transactions.append(durable)

    monkeypatch.setattr(KioskStore, "feed_writing", counted)
    real_put_state = state.put_state

    def broken(connection: Connection, **values: object) -> None:
        if "cursor" in values:
            raise RuntimeError("power cut")
        real_put_state(connection, **values)

    monkeypatch.setattr(state, "put_state", broken)
    with pytest.raises(RuntimeError, match="power cut"):
        apply.apply_page(store, BIG, None, NOW, NOW, rows_per_transaction=3)
    assert transactions == [False, False]  # 3 + 3 rows committed; the third (2 rows and the cursor) rolled back
    assert len(bookings_table(store)) == 6
    with store.reading() as connection:
        assert state.cursor(connection) is None
    assert sync_entries(store) == []
    monkeypatch.setattr(state, "put_state", real_put_state)
    transactions.clear()
    applied = apply.apply_page(store, BIG, None, NOW, NOW, rows_per_transaction=3)
    assert transactions == [False, False, False] and applied.complete and applied.lock_ms > 0
    assert sync_entries(store) == [f"feed:{BIG.cursor}"]
    with store.reading() as connection:
        assert state.cursor(connection) == BIG.cursor
    assert store.audit.verify().ok
    assert audit.read_anchor(store.anchor_path) == store.audit.head()  # flushed, so the head file names it
    # the same end as the page in one transaction, in a kiosk that never saw it cut short
    with KioskStore.open(store.path.with_name("other.db")) as other:
        other_keyring = keyring_of(BIG.keys)
        enrolment.save_enrolment(other, ENROLLED, "token", other_keyring, {"zone": "Asia/Jakarta"}, "G1", NOW)
        apply.apply_page(other, BIG, None, NOW, NOW, rows_per_transaction=100)
        assert [r[0::2] for r in bookings_table(other)] == [r[0::2] for r in bookings_table(store)]


def test_a_page_owes_its_audit_entry_until_the_chain_has_it_and_never_gets_it_twice(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is in the booking file, the chain in the database file: no one transaction holds
    both. A page whose entry could not be written keeps it noted with its cursor; the next settling
    writes it, and only once."""
    real_append = audit.append

    def broken(connection: Connection, at: str, kind: str, subject: str, digest: str) -> audit.Head:
        if kind == "sync.page":
            raise RuntimeError("power cut")
        return real_append(connection, at, kind, subject, digest)

    monkeypatch.setattr(audit, "append", broken)
    with pytest.raises(RuntimeError, match="power cut"):
        apply.apply_page(store, BIG, None, NOW, NOW)
    with store.reading() as connection:
        assert state.cursor(connection) == BIG.cursor  # the page is in
        owed = state.pending_audit(connection)
    assert owed is not None and owed["subject"] == f"feed:{BIG.cursor}"
    assert sync_entries(store) == []
    monkeypatch.setattr(audit, "append", real_append)

    head = apply.settle_page_audit(store)
    assert head is not None and sync_entries(store) == [f"feed:{BIG.cursor}"]
    assert audit.read_anchor(store.anchor_path) == head == store.audit.head()  # flushed: the file names it
    assert apply.settle_page_audit(store) is None  # found in the chain: not written again
    store.decisions.record(present("MP7K2Q9T3M"), NOW)  # whatever comes after it in the chain
    assert apply.settle_page_audit(store) is None
    assert sync_entries(store) == [f"feed:{BIG.cursor}"]
    # the same page applied again later (after a reset) is a new entry, not taken for the old one
    apply.reset_cursor(store, NOW, "test")
    apply.apply_page(store, BIG, None, NOW, NOW)
    assert sync_entries(store) == [f"feed:{BIG.cursor}"] * 2
    assert store.audit.verify().ok


def test_every_transaction_of_a_page_checks_the_cursor(store: KioskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another sync of the same database that moved the cursor meanwhile stops this one before its next
    transaction: an older page's rows never go over a newer page's."""
    yields: list[int] = []
    real_yield = KioskStore.yield_to_scans

    def other_sync_moves_on(self: KioskStore, max_wait_s: float = 0.1) -> None:
        yields.append(1)
        if len(yields) == 2:  # after the first transaction, before the second
            self.settings.set_sync_state(cursor="0a0b0c0d.9")
        real_yield(self, max_wait_s)

    monkeypatch.setattr(KioskStore, "yield_to_scans", other_sync_moves_on)
    with pytest.raises(ProtocolError, match="cursor moved"):
        apply.apply_page(store, BIG, None, NOW, NOW, rows_per_transaction=4)
    assert len(bookings_table(store)) == 4


@contextmanager
def counted_transactions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """How each transaction on the booking file ended, in order: "commit" or "rollback"."""
    ends: list[str] = []
    feed_writing = KioskStore.feed_writing

    @contextmanager
    def counted(self: KioskStore, *, durable: bool = False) -> Iterator[Connection]:
        try:
            with feed_writing(self, durable=durable) as connection:
                yield connection
        except BaseException:
            ends.append("rollback")
            raise
        ends.append("commit")

    monkeypatch.setattr(KioskStore, "feed_writing", counted)
    monkeypatch.setattr(KioskStore, "yield_to_scans", lambda self, max_wait_s=0.0: None)
    yield ends


def test_a_scan_that_begins_rolls_the_bulk_transaction_back_at_once(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan that begins while a page is written waits for one small step and a roll-back, never for
    the rest of the transaction or its commit; the rolled-back rows are written again after it."""
    many = page([wire(f"MP7K{n:06d}", f"R{n}") for n in range(120)])
    looks: list[bool] = []
    real = KioskStore.scan_waiting

    def a_scan_at_the_third_look(self: KioskStore) -> bool:
        looks.append(True)
        return len(looks) == 3 or real(self)

    with counted_transactions(monkeypatch) as ends:
        monkeypatch.setattr(KioskStore, "scan_waiting", a_scan_at_the_third_look)
        apply.apply_page(store, many, None, NOW, NOW, rows_per_transaction=100)
    assert ends == ["rollback", "commit", "commit"]  # 30 rows rolled back; then 100 + 20
    assert len(bookings_table(store)) == 120
    with store.reading() as connection:
        assert state.cursor(connection) == many.cursor


def test_a_gate_that_never_rests_slows_a_page_but_never_stops_it(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = page([wire(f"MP7K{n:06d}", f"R{n}") for n in range(25)])
    with counted_transactions(monkeypatch) as ends, store.scanning():  # a scan in progress all along
        apply.apply_page(store, many, None, NOW, NOW, rows_per_transaction=100)
    # each transaction: rolled back twice, then one step of 10 rows committed (ending it early)
    assert ends == ["rollback", "rollback", "commit"] * 3
    assert len(bookings_table(store)) == 25
    with store.reading() as connection:
        assert state.cursor(connection) == many.cursor


def test_the_audit_head_file_only_moves_forward(store: KioskStore) -> None:
    """Sync steps move the audit head file through the store's rule: never over the trace of a rewritten
    or rolled-back database."""
    head = store.audit.head()
    foreign = audit.Head(head.seq, "f" * 64)  # what the file says about a chain this one is not
    audit.write_anchor(store.anchor_path, foreign)
    apply.apply_page(store, page([wire("MP7K2Q9T3M", "R1")]), None, NOW, NOW)
    assert audit.read_anchor(store.anchor_path) == foreign
    apply.reset_cursor(store, NOW, "test")
    assert audit.read_anchor(store.anchor_path) == foreign
    store.anchor_path.unlink()
    apply.reset_cursor(store, NOW, "test again")
    assert audit.read_anchor(store.anchor_path) == store.audit.head()
