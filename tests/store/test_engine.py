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
    store.decisions.record(present(CODE), NOW)
    # BEGIN IMMEDIATE would take the booking file's write lock too: a write that changes nothing takes
    # the database file's at once, and only that one
    assert statements[:2] == ["BEGIN", "DELETE FROM main.alembic_version WHERE 0"]
    assert "BEGIN IMMEDIATE" not in statements
    statements.clear()
    store.decisions.decide_only(present(CODE), NOW)
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
        recorded = store.decisions.record(present(CODE), NOW)
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
            outcome.append(store.decisions.record(present(UNKNOWN_CODE), NOW))
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
    assert store.decisions.outbox_size() == 1


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


def writer_queue_wait(store: KioskStore, db_path: Path) -> float:
    """Two KioskStores on one file (the gate's and the sync's): a scan recorded by one while the other
    holds a write transaction waits for it, and goes on once it commits; how long after the commit."""
    with KioskStore.open(db_path) as other:
        holding = threading.Event()
        let_go = threading.Event()
        release_at: list[float] = []

        def first_writer() -> None:
            with other.bulk_writing() as connection:
                connection.exec_driver_sql("INSERT INTO settings (key, value) VALUES ('test.first', '1')")
                holding.set()
                let_go.wait(30)
                release_at.append(time.perf_counter())

        thread, outcome = record_on_a_thread(store)  # started once the first writer holds the lock
        first = threading.Thread(target=first_writer, name="first-writer")
        first.start()
        try:
            assert holding.wait(10)
            thread.start()
            thread.join(0.3)  # inside the 5 s busy timeout: if not done, it can only be waiting
            still_waiting = thread.is_alive()
        finally:
            let_go.set()
            first.join(10)
        thread.join(10)
    assert still_waiting and not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], float), outcome  # recorded, no busy-timeout error
    assert outcome[0] >= release_at[0]
    with store.reading() as connection:  # the first writer's transaction went first, and was kept
        assert connection.exec_driver_sql("SELECT value FROM settings WHERE key = 'test.first'").scalar() == "1"
    return outcome[0] - release_at[0]


def record_on_a_thread(store: KioskStore) -> tuple[threading.Thread, list[object]]:
    """store.decisions.record() on a thread (not started); the list gets the perf_counter() it returned at,
    or the error."""
    outcome: list[object] = []

    def record() -> None:
        try:
            store.decisions.record(present(UNKNOWN_CODE), NOW)
            outcome.append(time.perf_counter())
        except Exception as exc:  # reported to the test thread
            outcome.append(exc)

    return threading.Thread(target=record, name="record"), outcome


def test_writers_in_one_program_queue(store: KioskStore, db_path: Path) -> None:
    writer_queue_wait(store, db_path)
    assert store.decisions.outbox_size() == 1


@pytest.mark.timing
def test_the_next_writer_of_one_program_goes_at_once(store: KioskStore, db_path: Path) -> None:
    """The second writer is woken the moment the first commits, not at SQLite's next poll of its lock
    (every 25-100 ms by then). Real time is the subject: the quickest of three tries, with a bound of
    10x the old 50 ms for a loaded CI machine."""
    delays = []
    for _ in range(3):
        delays.append(writer_queue_wait(store, db_path))
        with store.writing() as connection:
            connection.exec_driver_sql("DELETE FROM settings WHERE key = 'test.first'")
        if delays[-1] < 0.05:
            break
    assert min(delays) < 0.5, delays


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
                impatient.decisions.record(present(UNKNOWN_CODE), NOW)
        finally:
            done.set()
            thread.join(5)
        assert impatient.decisions.record(present(UNKNOWN_CODE), NOW).decision is not None


# --- scans first -----------------------------------------------------------------------------------------


def test_bulk_work_waits_for_a_scan_in_progress(store: KioskStore) -> None:
    """No stopwatch: the scan lasts until this test ends it, and the bulk step may wait up to 60 s."""
    started = threading.Event()
    end_scan = threading.Event()
    order: list[str] = []

    def scan() -> None:
        with store.scanning():
            started.set()
            end_scan.wait(30)
            order.append("scan ended")

    def bulk_step() -> None:
        store.yield_to_scans(max_wait_s=60)
        order.append("bulk went on")

    scanner = threading.Thread(target=scan, name="scan")
    bulk = threading.Thread(target=bulk_step, name="bulk")
    scanner.start()
    try:
        assert started.wait(10)
        assert store.scan_waiting()
        bulk.start()
        bulk.join(0.3)
        still_waiting = bulk.is_alive()
    finally:
        end_scan.set()
        scanner.join(10)
    bulk.join(30)  # far inside its 60 s: it went on because the scan ended
    assert still_waiting and not bulk.is_alive()
    assert order == ["scan ended", "bulk went on"]
    assert not store.scan_waiting()
    nothing_to_wait_for = threading.Thread(target=store.yield_to_scans, kwargs={"max_wait_s": 60}, name="bulk")
    nothing_to_wait_for.start()
    nothing_to_wait_for.join(30)
    assert not nothing_to_wait_for.is_alive()  # it did not wait its 60 s


class ManualClock:
    """A monotonic clock for yield_to_scans()'s hold-off (its `clock`), moved on by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_gate_that_never_rests_slows_bulk_work_but_never_stops_it(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan that does not end while bulk work runs: the bulk step waits its longest once, and then
    not again until that long has passed (by an injected clock: no stopwatch)."""
    clock = ManualClock()
    waits: list[float] = []
    wait_quiet = store._locks.wait_quiet

    def counted(timeout_s: float) -> bool:
        waits.append(timeout_s)
        return wait_quiet(timeout_s)

    monkeypatch.setattr(store._locks, "wait_quiet", counted)
    with store.scanning():
        store.yield_to_scans(max_wait_s=0.1, clock=clock.monotonic)  # waits its longest (the scan does not end)...
        assert waits == [0.1]
        store.yield_to_scans(max_wait_s=0.1, clock=clock.monotonic)  # ...and then lets bulk work have a turn
        clock.now += 0.09
        store.yield_to_scans(max_wait_s=0.1, clock=clock.monotonic)
        assert waits == [0.1]
        clock.now += 0.01  # that long has passed: it waits again
        store.yield_to_scans(max_wait_s=0.1, clock=clock.monotonic)
        assert waits == [0.1, 0.1]
