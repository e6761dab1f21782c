"""The SQLite settings the gate's promises rest on: on every connection, and writers lock at BEGIN."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from kiosk.domain.model import Verdict
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.engine import BUSY_TIMEOUT_MS, IMMEDIATE, feed_path_for, make_engine
from tests.store.conftest import CODE, NOW, UNKNOWN_CODE, present, raw_sql


def pragmas(connection: Connection) -> dict[str, Any]:
    return {
        name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


EXPECTED = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": BUSY_TIMEOUT_MS}


def test_every_pooled_connection_has_the_pragmas(store: KioskStore) -> None:
    with ExitStack() as stack:  # three at once: three different DBAPI connections from the pool
        connections = [stack.enter_context(store.engine.connect()) for _ in range(3)]
        assert len({id(c.connection.driver_connection) for c in connections}) == 3
        for connection in connections:
            assert pragmas(connection) == EXPECTED
    store.engine.dispose()  # and connections made after the pool was emptied
    with store.engine.connect() as connection:
        assert pragmas(connection) == EXPECTED


def test_pragmas_inside_store_transactions(store: KioskStore) -> None:
    with store.writing() as connection:
        assert pragmas(connection) == EXPECTED
    with store.reading() as connection:
        assert pragmas(connection) == EXPECTED


def test_busy_timeout_can_be_shortened(db_path: Path) -> None:
    engine = make_engine(db_path, busy_timeout_ms=150)
    try:
        with engine.connect() as connection:
            assert pragmas(connection) == {**EXPECTED, "busy_timeout": 150}
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(store: KioskStore) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), store.engine.connect() as connection:
        connection.execute(
            text(
                "INSERT INTO scan_events (event_uuid, occurred_at, kind, kiosk_id, gate, code_masked, payload_kind,"
                " verdict, reason, persons, guard_id, facts, audit_seq)"
                " VALUES ('u-1', 't', 'override', 'k', 'g', '', 'x', 'ADMIT', 'OK', 1, 999, '{}', 1)"
            )
        )


@pytest.fixture
def statements(store: KioskStore) -> Iterator[list[str]]:
    """Every SQL statement the store's engine sends, in order."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(store.engine, "before_cursor_execute", listen)


def test_record_takes_the_write_lock_at_begin_and_decide_only_a_plain_begin(
    store: KioskStore, statements: list[str]
) -> None:
    store.record(present(CODE), NOW)
    # BEGIN IMMEDIATE would take the booking file's write lock too: a write that changes nothing takes
    # the database file's at once, and only that one
    assert statements[:2] == ["BEGIN", "DELETE FROM main.alembic_version WHERE 0"]
    assert "BEGIN IMMEDIATE" not in statements
    statements.clear()
    store.decide_only(present(CODE), NOW)
    assert statements[0] == "BEGIN"
    assert "BEGIN IMMEDIATE" not in statements


def try_write_lock(db_path: Path) -> bool:
    """Can another program take the write lock right now (without waiting)?"""
    with closing(sqlite3.connect(db_path, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return False
        other.execute("ROLLBACK")
        return True


def test_a_write_transaction_holds_the_lock_before_its_first_statement(store: KioskStore, db_path: Path) -> None:
    with store.writing():
        assert not try_write_lock(db_path)
    assert try_write_lock(db_path)


def test_a_scan_leaves_the_booking_file_to_the_sync_and_the_sync_leaves_the_database_to_scans(
    store: KioskStore, db_path: Path
) -> None:
    feed = feed_path_for(db_path)
    with store.writing() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM bookings").scalar() == 6  # reads both files
        assert not try_write_lock(db_path)
        assert try_write_lock(feed)
    with store.feed_writing():
        assert not try_write_lock(feed)
        assert try_write_lock(db_path)
    with store.writing(feed=True):  # an import, a purge: both, from the start
        assert not try_write_lock(db_path)
        assert not try_write_lock(feed)
    assert try_write_lock(db_path) and try_write_lock(feed)


def test_a_scan_records_while_the_sync_holds_the_booking_file(store: KioskStore, db_path: Path) -> None:
    """Not just no lock wait: nothing in the scan's path needs the feed's writer (it would wait the
    busy timeout for this thread's own transaction, then fail)."""
    before = raw_sql(db_path, "SELECT count(*) FROM scan_events")[0][0]
    with store.feed_writing() as connection:
        connection.exec_driver_sql("UPDATE bookings SET updated_at = updated_at")
        recorded = store.record(present(CODE), NOW)
    assert recorded.decision.verdict is Verdict.ADMIT
    assert raw_sql(db_path, "SELECT count(*) FROM scan_events")[0][0] == before + 1


def test_a_read_transaction_does_not_block_writers(store: KioskStore, db_path: Path) -> None:
    with store.reading() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM bookings").scalar() == 6
        assert try_write_lock(db_path)


def test_a_second_writer_waits_for_the_first(store: KioskStore, db_path: Path) -> None:
    outcome: list[object] = []

    def second_writer() -> None:
        try:
            outcome.append(store.record(present(UNKNOWN_CODE), NOW))
        except Exception as exc:  # reported to the test thread below
            outcome.append(exc)

    with closing(sqlite3.connect(db_path, isolation_level=None)) as first:
        first.execute("BEGIN IMMEDIATE")
        first.execute("INSERT INTO settings (key, value) VALUES ('test.first', '1')")
        thread = threading.Thread(target=second_writer, name="second-writer")
        thread.start()
        thread.join(0.3)  # far inside the 5 s busy timeout: it can only be waiting for the lock
        still_waiting = thread.is_alive()
        first.execute("COMMIT")
    thread.join(10)
    assert still_waiting
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert not isinstance(outcome[0], Exception), outcome[0]
    assert store.outbox_size() == 1


def test_a_second_writer_gives_up_after_the_busy_timeout(db_path: Path, store: KioskStore) -> None:
    engine = make_engine(db_path, busy_timeout_ms=100)
    try:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as first:
            first.execute("BEGIN IMMEDIATE")
            with (
                pytest.raises(OperationalError, match="database is locked"),
                engine.connect().execution_options(**{IMMEDIATE: True}) as connection,
                connection.begin(),
            ):
                pass
            first.execute("ROLLBACK")
    finally:
        engine.dispose()


# --- the feed's writer: synchronous=NORMAL, and only there ---------------------------------------------


def test_synchronous_normal_only_on_request(db_path: Path) -> None:
    engine = make_engine(db_path, synchronous="NORMAL")
    try:
        with engine.connect() as connection:
            assert pragmas(connection) == {**EXPECTED, "synchronous": 1}
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="synchronous"):
        make_engine(db_path, synchronous="OFF")  # type: ignore[arg-type]


def test_bulk_writing_is_normal_and_everything_else_full(store: KioskStore, db_path: Path) -> None:
    with store.bulk_writing() as connection:
        assert pragmas(connection) == {**EXPECTED, "synchronous": 1}
        assert not try_write_lock(db_path)  # BEGIN IMMEDIATE, as writing()
    with store.writing() as connection:
        assert pragmas(connection) == EXPECTED
    with store.reading() as connection:
        assert pragmas(connection) == EXPECTED
    assert store.checkpoint()  # nothing holds an old snapshot: the whole WAL is copied and on disk


# --- writers of one program queue ------------------------------------------------------------------------


def test_writers_in_one_program_queue_and_the_next_goes_at_once(store: KioskStore, db_path: Path) -> None:
    """Two KioskStores on one file (the gate's and the sync's): the second writer is woken the moment
    the first commits, not at SQLite's next poll of its lock."""
    with KioskStore.open(db_path) as other:
        waited: list[float] = []
        holding = threading.Event()
        release_at: list[float] = []

        def first_writer() -> None:
            with other.bulk_writing() as connection:
                connection.exec_driver_sql("INSERT INTO settings (key, value) VALUES ('test.first', '1')")
                holding.set()
                time.sleep(0.2)
                release_at.append(time.perf_counter())

        thread = threading.Thread(target=first_writer, name="first-writer")
        thread.start()
        assert holding.wait(5)
        store.record(present(UNKNOWN_CODE), NOW)
        waited.append(time.perf_counter())
        thread.join(5)
        assert waited[0] >= release_at[0]
        assert waited[0] - release_at[0] < 0.05  # SQLite's own wait would poll every 25-100 ms by then


def test_a_writer_of_this_program_held_too_long_is_reported(store: KioskStore, db_path: Path) -> None:
    with KioskStore.open(db_path, busy_timeout_ms=100) as impatient:
        holding = threading.Event()
        done = threading.Event()

        def holder() -> None:
            with store.writing():
                holding.set()
                done.wait(5)

        thread = threading.Thread(target=holder, name="holder")
        thread.start()
        try:
            assert holding.wait(5)
            with pytest.raises(StoreError, match="locked by another writer of this program"):
                impatient.record(present(UNKNOWN_CODE), NOW)
        finally:
            done.set()
            thread.join(5)
        assert impatient.record(present(UNKNOWN_CODE), NOW).decision is not None


# --- scans first -----------------------------------------------------------------------------------------


def test_bulk_work_waits_for_a_scan_in_progress(store: KioskStore) -> None:
    started = threading.Event()

    def scan() -> None:
        with store.scanning():
            started.set()
            time.sleep(0.15)

    thread = threading.Thread(target=scan, name="scan")
    thread.start()
    assert started.wait(5)
    assert store.scan_waiting()
    began = time.perf_counter()
    store.yield_to_scans(max_wait_s=5)
    assert time.perf_counter() - began > 0.1
    thread.join(5)
    assert not store.scan_waiting()
    began = time.perf_counter()
    store.yield_to_scans(max_wait_s=5)  # nothing to wait for
    assert time.perf_counter() - began < 0.05


def test_a_gate_that_never_rests_slows_bulk_work_but_never_stops_it(store: KioskStore) -> None:
    with store.scanning():  # a scan that does not end while bulk work runs
        began = time.perf_counter()
        store.yield_to_scans(max_wait_s=0.1)  # waits its longest...
        waited = time.perf_counter() - began
        began = time.perf_counter()
        store.yield_to_scans(max_wait_s=0.1)  # ...and then lets the bulk work have a turn
        assert waited >= 0.09 and time.perf_counter() - began < 0.05
