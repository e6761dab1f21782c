"""KioskStore when the database goes wrong: read-only, locked, disk full, WAL lost, rolled back, damaged.

Each case ends in a StoreError with a sentence for people (the kiosk shows OUT OF ORDER and keeps the
gate shut), or in a report from the integrity check or the audit verifier; never in a traceback from
deep inside SQLite, and never half a scan on disk.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from kiosk.domain.model import Reason, Verdict
from kiosk.store import audit
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.engine import feed_path_for
from tests.store.conftest import (
    BOOKINGS,
    CODE,
    FAMILY_CODE,
    NAMES,
    NOW,
    UNKNOWN_CODE,
    new_store,
    present,
    raw_sql,
    table_counts,
)


def consistent(db_path: Path) -> None:
    """Nothing half-written: every event has its outbox row and its audit entry, the file is sound."""
    counts = table_counts(db_path)
    assert counts["scan_events"] == counts["outbox"]
    assert raw_sql(db_path, "SELECT count(*) FROM scan_events WHERE audit_seq NOT IN (SELECT seq FROM audit_log)") == [
        (0,)
    ]
    assert raw_sql(db_path, "PRAGMA integrity_check") == [("ok",)]


# --- read-only -----------------------------------------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only for this process: chmod, or for root (which chmod does not
    stop) the immutable attribute."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False).returncode:
        pytest.skip("running as root where `chattr +i` is not available: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_a_read_only_database_file_refuses_to_record(store: KioskStore, db_path: Path) -> None:
    store.close()
    before = db_path.read_bytes()
    with read_only(db_path):
        with KioskStore.open(db_path) as again:  # still readable: the guard can look, nothing is admitted
            with pytest.raises(StoreError, match=r"cannot be written \(read-only file system or file permissions\)"):
                again.decisions.record(present(CODE), NOW)
            assert again.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT
            assert again.audit.verify().ok
        assert db_path.read_bytes() == before


def test_a_read_only_folder_refuses_clearly(store: KioskStore, db_path: Path) -> None:
    store.close()  # a clean stop: no -wal or -shm file left, and none can be made now
    assert not db_path.with_name(db_path.name + "-wal").exists()
    with (
        read_only(db_path.parent),
        pytest.raises(StoreError, match=r"cannot open the database|cannot be written"),
        KioskStore.open(db_path) as again,
    ):
        again.decisions.record(present(CODE), NOW)


def test_an_unreadable_database_path_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(StoreError, match="cannot read the database file"):
        KioskStore.open(folder)
    with pytest.raises(StoreError, match="cannot open the database"):
        KioskStore.open(tmp_path / "missing-folder" / "kiosk.db")


# --- locked --------------------------------------------------------------------------------------------


def test_a_database_locked_longer_than_the_busy_timeout_refuses_to_record(store: KioskStore, db_path: Path) -> None:
    before = table_counts(db_path)
    with KioskStore.open(db_path, busy_timeout_ms=100) as impatient:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")  # another program holding a write transaction
            with pytest.raises(StoreError, match=r"is locked by another program.*database is locked"):
                impatient.decisions.record(present(CODE), NOW)
            # reading still works while it waits (WAL): the guard console stays usable
            assert impatient.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT
            other.execute("ROLLBACK")
        assert table_counts(db_path) == before
        assert impatient.decisions.record(present(CODE), NOW).decision.verdict is Verdict.ADMIT


# --- disk full -----------------------------------------------------------------------------------------


def test_a_full_disk_fails_the_scan_and_leaves_nothing_half_written(store: KioskStore, db_path: Path) -> None:
    """SQLITE_FULL, made by capping the file at its current size on every connection of the store."""

    def cap(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()
    event.listen(store.engine, "connect", cap)
    failure: StoreError | None = None
    recorded = 0
    for number in range(5000):  # each scan adds rows until a page more is needed
        try:
            store.decisions.record(present(UNKNOWN_CODE), NOW, event_uuid=f"fill-{number}")
        except StoreError as exc:
            failure = exc
            break
        recorded += 1
    assert failure is not None, "the capped file never filled up"
    assert "is full; free some space" in str(failure)
    assert store.decisions.event(f"fill-{recorded}") is None
    assert table_counts(db_path)["scan_events"] == recorded
    consistent(db_path)
    assert store.audit.verify().ok
    # space freed: the kiosk records again
    event.remove(store.engine, "connect", cap)
    store.engine.dispose()
    assert store.decisions.record(present(CODE), NOW).decision.verdict is Verdict.ADMIT
    consistent(db_path)


# --- the WAL file lost, yesterday's copy put back --------------------------------------------------------


def test_the_wal_deleted_after_a_clean_stop_changes_nothing(store: KioskStore, db_path: Path) -> None:
    store.decisions.record(present(CODE), NOW)
    store.close()
    db_path.with_name(db_path.name + "-wal").unlink(missing_ok=True)
    with KioskStore.open(db_path) as again:
        assert again.integrity_ok()
        assert again.audit.verify().ok
        assert again.decisions.decide_only(present(CODE), NOW).reason is Reason.ALREADY_ADMITTED


def test_the_wal_deleted_after_a_crash_opens_and_the_loss_is_reported(store: KioskStore, db_path: Path) -> None:
    store.close()
    store = KioskStore.open(db_path)
    shm = db_path.with_name(db_path.name + "-shm")
    try:
        for _ in range(4):
            store.decisions.record(present(UNKNOWN_CODE), NOW)  # committed into the WAL, not yet into the main file
        store.decisions.record(present(CODE), NOW)
        # what a power cut leaves: the main file as of the last checkpoint, the -shm, and the WAL...
        main, index = db_path.read_bytes(), shm.read_bytes()
    finally:
        store.close()
    db_path.write_bytes(main)
    shm.write_bytes(index)  # ...which somebody then deletes
    db_path.with_name(db_path.name + "-wal").unlink(missing_ok=True)
    with KioskStore.open(db_path) as again:
        assert again.integrity_ok()
        report = again.audit.verify()
        assert any("the chain was cut off" in p for p in report.problems)  # the anchor remembers
        # the lost admission is gone from the database: the audit report is how the office learns of it
        assert again.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT


def test_yesterdays_copy_put_back_is_reported_and_stays_reported(store: KioskStore, db_path: Path) -> None:
    store.decisions.record(present(CODE), NOW)
    store.close()
    yesterday = db_path.read_bytes()
    with KioskStore.open(db_path) as today:
        for _ in range(3):
            today.decisions.record(present(UNKNOWN_CODE), NOW)
        head_today = today.audit.head()
    db_path.write_bytes(yesterday)  # e.g. to undo an admission or a guard override
    with KioskStore.open(db_path) as restored:
        report = restored.audit.verify()
        assert report.first_bad_seq == restored.audit.head().seq + 1
        assert f"but entry {head_today.seq} was written" in report.problems[0]
        # the kiosk keeps working, but the anchor is not moved back to hide it...
        for _ in range(6):  # ...not even once the chain has grown past it
            restored.decisions.record(present(UNKNOWN_CODE), NOW)
        assert audit.read_anchor(restored.anchor_path) == head_today
        report = restored.audit.verify()
        assert report.first_bad_seq == head_today.seq
        assert f"entry {head_today.seq} differs from the head recorded after it was written" in report.problems[0]


# --- damaged files -------------------------------------------------------------------------------------


def probe(db_path: Path) -> list[str]:
    """What the kiosk does with a database at start and at a scan, returning what it reported.
    Only StoreError is an acceptable way to fail: anything else escapes and fails the test."""
    try:
        store = KioskStore.open(db_path)
    except StoreError as exc:
        return [f"open: {exc}"]
    reports: list[str] = []
    try:

        def integrity() -> str | None:
            return None if store.integrity_ok() else "integrity check failed"

        def verify() -> str | None:
            return "; ".join(store.audit.verify().problems) or None

        def record() -> str | None:
            store.decisions.record(present(FAMILY_CODE), NOW)
            return None

        def decide() -> str | None:
            store.decisions.decide_only(present(CODE), NOW)
            return None

        steps: dict[str, Callable[[], str | None]] = {
            "integrity": integrity,
            "verify": verify,
            "record": record,
            "decide": decide,
        }
        for name, step in steps.items():
            try:
                outcome = step()
            except StoreError as exc:
                outcome = str(exc)
            if outcome:
                reports.append(f"{name}: {outcome}")
    finally:
        store.close()
    return reports


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A closed database with bookings, scans and a guard, and its key and anchor files."""
    db_path = tmp_path / "template" / "kiosk.db"
    db_path.parent.mkdir()
    with new_store(db_path) as store:
        store.guards.add("Andi Saputra", "482913", NOW)
        for number, code in enumerate((CODE, UNKNOWN_CODE, *BOOKINGS)):
            store.decisions.record(present(code), NOW, event_uuid=f"template-{number}")
    return db_path


def copy_of(template: Path, name: str) -> Path:
    target = template.parent.parent / name
    shutil.copytree(template.parent, target)
    return target / template.name


def test_the_template_probes_clean(template: Path) -> None:
    assert probe(copy_of(template, "clean")) == []


@pytest.mark.parametrize("which", ["database", "booking file"])
def test_random_bytes_flipped_never_crash_the_kiosk(template: Path, which: str) -> None:
    outcomes = []
    for seed in range(24):
        db_path = copy_of(template, f"flipped-{seed}")
        target = db_path if which == "database" else feed_path_for(db_path)
        rng = random.Random(seed)
        data = bytearray(target.read_bytes())
        for offset in rng.sample(range(100, len(data)), 16):  # past the 100-byte header
            data[offset] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        outcomes.append(probe(db_path))  # only StoreError may escape from inside; probe re-raises others
    # most flips hit something the kiosk reads; a few land in free space, where nothing can tell
    assert sum(1 for reports in outcomes if reports) >= len(outcomes) // 2


@pytest.mark.parametrize(("schema", "table"), [("main", "scan_events"), ("feed", "bookings")])
def test_a_damaged_page_is_reported(template: Path, schema: str, table: str) -> None:
    db_path = copy_of(template, "bad-page")
    target = db_path if schema == "main" else feed_path_for(db_path)
    ((root,),) = raw_sql(db_path, f"SELECT rootpage FROM {schema}.sqlite_master WHERE name = ?", (table,))
    ((page_size,),) = raw_sql(db_path, f"PRAGMA {schema}.page_size")
    data = bytearray(target.read_bytes())
    data[(root - 1) * page_size] = 0x7F  # not a b-tree page type
    target.write_bytes(bytes(data))
    reports = probe(db_path)
    assert reports
    assert any("damaged" in r or "integrity check failed" in r for r in reports), reports


def test_a_flipped_byte_in_a_booking_is_refused_at_the_scan(template: Path) -> None:
    db_path = copy_of(template, "bad-booking")
    feed = feed_path_for(db_path)  # the bookings are in the booking file beside the database
    data = feed.read_bytes()
    name = BOOKINGS[CODE].display_name.encode()
    assert name in data and NAMES[0] == BOOKINGS[CODE].display_name
    assert name not in db_path.read_bytes()
    feed.write_bytes(data.replace(name, name[:-1] + b"x"))
    with KioskStore.open(db_path) as store:
        assert store.integrity_ok()  # the file is sound; only the seal can tell
        with pytest.raises(StoreError, match="changed by hand"):
            store.decisions.record(present(CODE), NOW)


def test_a_flipped_byte_in_the_audit_log_is_reported(template: Path) -> None:
    db_path = copy_of(template, "bad-audit")
    ((value,),) = raw_sql(db_path, "SELECT hash FROM audit_log WHERE seq = 4")
    data = db_path.read_bytes()
    forged = value[:10] + ("0" if value[10] != "0" else "1") + value[11:]
    db_path.write_bytes(data.replace(value.encode(), forged.encode(), 1))
    with KioskStore.open(db_path) as store:
        assert store.integrity_ok()
        report = store.audit.verify()
        assert report.first_bad_seq in (4, 5)  # the hash of 4 or the prev_hash of 5, whichever came first


def test_a_damaged_value_in_an_event_stops_the_scan(template: Path) -> None:
    db_path = copy_of(template, "bad-event")
    raw_sql(db_path, "UPDATE scan_events SET occurred_at = 'yesterday-ish' WHERE booking_ref = 'B-0001'")
    with KioskStore.open(db_path) as store:
        with pytest.raises(StoreError, match="holds a value that cannot be read"):
            store.decisions.record(present(CODE), NOW)
        assert not store.audit.verify().ok


def test_a_truncated_file_is_reported(template: Path) -> None:
    db_path = copy_of(template, "truncated")
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    assert probe(db_path)


# --- several programs on one database ------------------------------------------------------------------

_OTHER_PROGRAM = """
import sys, datetime as dt
sys.path.insert(0, sys.argv[2])
from kiosk.store.db import KioskStore
with KioskStore.open(sys.argv[1], create=False) as store:
    store.guards.add("Dewi from the other program", "735019", dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
"""


def test_a_second_store_in_one_process_keeps_the_log_shared_with_other_programs(
    store: KioskStore, db_path: Path
) -> None:
    """Found in the GUI bench: the kiosk opened a second store on its database (the sync worker's),
    whose checks read the file's header with a plain open() and close(). Closing any descriptor of a
    file drops every POSIX lock the process holds on it, SQLite's included; the next program to open
    and close the database then found no one else on it, took its log for its own, checkpointed and
    deleted it, and started a new one: the kiosk wrote on in the deleted log, the other program in the
    new one, two chains from one database. A second store in a process must leave the file alone."""
    wal = db_path.with_name(db_path.name + "-wal")
    store.decisions.record(present(CODE), NOW)
    log_file = wal.stat().st_ino
    second = KioskStore.open(db_path, create=False)  # as the sync worker opens its own
    try:
        subprocess.run(
            [sys.executable, "-c", _OTHER_PROGRAM, str(db_path), str(Path(__file__).resolve().parents[2])],
            check=True,
            timeout=120,
        )
        store.decisions.record(present(FAMILY_CODE), NOW)
        assert wal.stat().st_ino == log_file  # the same log all along
        assert "Dewi from the other program" in [guard.name for guard in store.guards.all()]
        report = store.audit.verify()
        assert report.ok, report.problems
        kinds = [row[0] for row in raw_sql(db_path, "SELECT kind FROM audit_log ORDER BY seq")]
        assert kinds[-2:] == ["guard.add", "event.scan"]  # one chain: the other program's entry, then ours
    finally:
        second.close()
