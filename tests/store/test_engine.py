"""The SQLite settings the gate's promises rest on: on every connection, and writers lock at BEGIN."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from kiosk.store.db import KioskStore
from kiosk.store.engine import BUSY_TIMEOUT_MS, IMMEDIATE, make_engine
from tests.store.conftest import CODE, NOW, UNKNOWN_CODE, present


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


def test_record_begins_immediate_and_decide_only_a_plain_begin(store: KioskStore, statements: list[str]) -> None:
    store.record(present(CODE), NOW)
    assert statements[0] == "BEGIN IMMEDIATE"
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
