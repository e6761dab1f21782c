"""Schema versions: new databases reach head, old ones are upgraded with their data, newer or foreign
files are refused with a clear message and left exactly as they were."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, text

from kiosk.domain.model import Circumstances, Reason, Verdict
from kiosk.domain.payload import MAX_MASKED_CHARS, mask_evidence, parse_payload
from kiosk.store import audit, migrate, settings
from kiosk.store import bookings as booking_repo
from kiosk.store.codes import key_path_for, load_or_create_key
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.engine import feed_path_for, make_engine, make_feed_engine
from kiosk.store.guards import hash_pin
from kiosk.store.recorder import decide_and_record
from kiosk.store.schema import Base, GuardRow
from kiosk.store.status import store_status
from kiosk.store.times import to_text
from kiosk.sync import outbox
from tests.store.conftest import (
    BOOKINGS,
    CODE,
    FAMILY_CODE,
    IDENTITY,
    NOW,
    RULES,
    SETUP,
    incoming,
    present,
    raw_sql,
    write_fixed_key,
)
from tests.store.legacy import FORGED, LONG_UUID, SHORT_UUID, build_0003_with_a_long_masked_code

KIOSK_TABLES = {"alembic_version", "scan_events", "outbox", "audit_log", "audit_receipts", "guards", "settings"}
FEED_TABLES = {"alembic_version", "bookings", "sync_state"}


def schema_diffs(engine: Engine) -> list[object]:
    """The models against both files' tables (the version tables are alembic's own)."""
    opts = {
        "include_schemas": True,
        "version_table_schema": "main",
        "include_name": lambda name, kind, _parent: not (kind == "table" and name == "alembic_version"),
    }
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata))


def tables(db_path: Path, schema: str = "main") -> set[str]:
    return {row[0] for row in raw_sql(db_path, f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")}


def attached_engine(db_path: Path) -> Engine:
    """The main engine as KioskStore.open makes it: the booking file up to date, then attached."""
    feed = make_feed_engine(feed_path_for(db_path), synchronous="FULL")
    try:
        migrate.upgrade_feed(feed)
    finally:
        feed.dispose()
    return make_engine(db_path, feed=feed_path_for(db_path))


def test_there_is_one_head_and_it_is_0007_and_the_booking_file_has_its_own() -> None:
    assert migrate.head_revision() == "0007"
    assert migrate.known_revisions() == {"0001", "0002", "0003", "0004", "0005", "0006", "0007"}
    assert migrate.head_revision(migrate.FEED_MIGRATIONS) == "f003"


def test_a_new_database_reaches_head(db_path: Path) -> None:
    with KioskStore.open(db_path) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert not migrate.needs_upgrade(store.engine)
        assert schema_diffs(store.engine) == []
    assert tables(db_path) == KIOSK_TABLES
    assert tables(db_path, "feed") == FEED_TABLES
    assert raw_sql(db_path, "SELECT version_num FROM feed.alembic_version") == [("f003",)]


def test_opening_twice_changes_nothing(db_path: Path) -> None:
    KioskStore.open(db_path).close()
    before = db_path.read_bytes()
    KioskStore.open(db_path).close()
    assert db_path.read_bytes() == before


def build_0001_database(db_path: Path) -> dict[str, object]:
    """A database as the first kiosk version left it: configured, bookings, a scan, a guard and an
    override by that guard, all written against the 0001 schema. Returns what the test expects back."""
    write_fixed_key(db_path)
    engine = make_engine(db_path)
    try:
        migrate.upgrade(engine, "0001")
        assert migrate.current_revision(engine) == "0001"
        hasher = load_or_create_key(key_path_for(db_path), create=False)
        with engine.begin() as connection:
            settings.put(connection, settings.IDENTITY_KEY, settings.identity_to_json(IDENTITY))
            settings.put(connection, settings.RULES_KEY, settings.rules_to_json(RULES))
            booking_repo.upsert(connection, hasher, incoming(BOOKINGS))
            recorded = decide_and_record(
                connection,
                hasher,
                present(CODE),
                RULES,
                Circumstances(now=NOW, gate=IDENTITY.gate),
                IDENTITY,
                "camera",
                "scan-0001",
            )
            # 0001 had no lockout columns: write the guard as that version did.
            connection.execute(
                text("INSERT INTO guards (id, name, pin_hash, active, created_at) VALUES (1, 'Budi', :pin, 1, :at)"),
                {"pin": hash_pin("482913"), "at": to_text(SETUP)},
            )
            connection.execute(
                text(
                    "INSERT INTO scan_events (event_uuid, occurred_at, kind, kiosk_id, gate, code_masked,"
                    " payload_kind, verdict, reason, persons, guard_id, ref_event, note, facts, audit_seq)"
                    " VALUES ('override-0001', :at, 'override', 'KIOSK-7', 'G2', '', 'booking_code', 'ADMIT',"
                    " 'OK', 0, 1, 'scan-0001', 'checked ID', '{}', 0)"
                ),
                {"at": to_text(NOW)},
            )
    finally:
        engine.dispose()
    return {"audit_seq": recorded.audit_seq, "verdict": recorded.decision.verdict}


def test_an_upgrade_from_0001_keeps_the_data_and_reaches_head(db_path: Path) -> None:
    expected = build_0001_database(db_path)
    assert expected["verdict"] is Verdict.ADMIT
    with KioskStore.open(db_path) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert schema_diffs(store.engine) == []
        assert store.bookings.count() == len(BOOKINGS)
        assert store.settings.rules() == RULES
        assert store.settings.identity() == IDENTITY
        # the admission made under 0001 still counts: the same code is now a second use
        assert store.decisions.decide_only(present(CODE), NOW).reason is Reason.ALREADY_ADMITTED
        assert store.decisions.decide_only(present(FAMILY_CODE), NOW).verdict is Verdict.ADMIT
        first = store.decisions.event("scan-0001")
        assert first is not None
        assert first["audit_seq"] == expected["audit_seq"]
        override = store.decisions.event("override-0001")
        assert override is not None
        assert override["guard_id"] == 1
        assert override["note"] == "checked ID"
        guard = store.guards.authenticate("Budi", "482913", NOW)  # the new lockout columns start clean
        assert (guard.failed_attempts, guard.locked_until) == (0, None)
        # a database from before the booking file's anchor adopts its booking file once, no alarm
        assert not store.bookings.data_lost() and store.bookings.file_behind() is None
        assert store.decisions.decide_only(present(CODE), NOW).reason is not Reason.STALE_DATA
        kinds = [kind for (kind,) in raw_sql(db_path, "SELECT kind FROM audit_log ORDER BY seq")]
        assert kinds.count("feed.anchor") == 1 and "feed.rolled_back" not in kinds
    with KioskStore.open(db_path) as store:  # once: opened again, nothing more is written
        assert [kind for (kind,) in raw_sql(db_path, "SELECT kind FROM audit_log ORDER BY seq")] == kinds
    assert raw_sql(db_path, "PRAGMA foreign_key_check") == []
    assert raw_sql(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert tables(db_path) == KIOSK_TABLES  # the bookings left the database file for their own
    assert raw_sql(db_path, "SELECT count(*) FROM feed.bookings") == [(len(BOOKINGS),)]


def test_an_upgrade_cut_off_after_the_bookings_were_copied_copies_them_again(db_path: Path) -> None:
    """The copy into the booking file is committed before 0003 drops the old tables; a crash between
    the two leaves both, and the next start copies again, to the same rows."""
    build_0001_database(db_path)
    engine = attached_engine(db_path)
    try:
        assert migrate.carry_over_feed(engine) == len(BOOKINGS)
        assert migrate.current_revision(engine) == "0001"  # "crashed" here
    finally:
        engine.dispose()
    with KioskStore.open(db_path) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert store.bookings.count() == len(BOOKINGS)
        assert store.decisions.decide_only(present(FAMILY_CODE), NOW).verdict is Verdict.ADMIT


def test_an_upgrade_without_the_booking_file_attached_is_refused_and_drops_nothing(db_path: Path) -> None:
    build_0001_database(db_path)
    engine = make_engine(db_path)
    try:
        with pytest.raises(migrate.SchemaError, match="attached"):
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert raw_sql(db_path, "SELECT version_num FROM alembic_version") == [("0001",)]
    assert raw_sql(db_path, "SELECT count(*) FROM main.bookings") == [(len(BOOKINGS),)]


def test_a_missing_booking_file_is_made_again_empty_and_said(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with KioskStore.open(db_path) as store:
        store.settings.configure(IDENTITY, RULES, SETUP)
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "test")
    for path in feed_path_for(db_path).parent.glob(feed_path_for(db_path).name + "*"):
        path.unlink()
    with KioskStore.open(db_path) as store:
        assert store.bookings.count() == 0
        assert store.audit.verify().ok  # the chain is in the database file, untouched
    assert "booking file" in caplog.text and "missing" in caplog.text


def test_a_lost_booking_file_sends_unknown_codes_to_the_officer_until_imported_again(db_path: Path) -> None:
    """A kiosk whose bookings were imported by hand cannot know which codes its lost file held: an
    unknown code is referred (STALE_DATA), not denied as not registered, until the bookings are
    imported again; the loss is in the audit chain."""
    with KioskStore.open(db_path) as store:
        store.settings.configure(IDENTITY, RULES, SETUP)
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "test")
        assert store.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT
        assert store.decisions.decide_only(present("MPNOTBOOKED9"), NOW).reason is Reason.UNKNOWN_CODE
    for path in feed_path_for(db_path).parent.glob(feed_path_for(db_path).name + "*"):
        path.unlink()
    with KioskStore.open(db_path) as store:
        assert store.bookings.data_lost()
        for code in (CODE, "MPNOTBOOKED9"):  # a booked code and one never booked: both unknown now
            decision = store.decisions.decide_only(present(code), NOW)
            assert (decision.verdict, decision.reason) == (Verdict.REFER, Reason.STALE_DATA)
        assert store.decisions.record(present(CODE), NOW).decision.reason is Reason.STALE_DATA
        kinds = [row[0] for row in raw_sql(db_path, "SELECT kind FROM audit_log ORDER BY seq")]
        assert "feed.lost" in kinds
        assert store.audit.verify().ok
        status = store_status(store, NOW)
        assert status.bookings_lost and status.bookings == 0
        assert status.data_age is None  # a kiosk without a sync: "imported locally", not "never synced"
    with KioskStore.open(db_path) as store:  # opened again: still lost, and noted only once
        assert store.bookings.data_lost()
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "test again")
        assert not store.bookings.data_lost()
        assert store.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT
        assert store.decisions.decide_only(present("MPNOTBOOKED9"), NOW).reason is Reason.UNKNOWN_CODE
        assert store.audit.verify().ok
    kinds = [row[0] for row in raw_sql(db_path, "SELECT kind FROM audit_log ORDER BY seq")]
    assert kinds.count("feed.lost") == 1


def test_a_new_kiosk_has_no_lost_booking_file(db_path: Path) -> None:
    with KioskStore.open(db_path) as store:
        store.settings.configure(IDENTITY, RULES, SETUP)
        assert not store.bookings.data_lost()
        assert store.decisions.decide_only(present("MPNOTBOOKED9"), NOW).reason is Reason.UNKNOWN_CODE


def test_a_booking_file_from_a_newer_kiosk_is_refused(db_path: Path) -> None:
    KioskStore.open(db_path).close()
    with closing(sqlite3.connect(feed_path_for(db_path), isolation_level=None)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f999'")
    with pytest.raises(StoreError, match="newer than this kiosk"):
        KioskStore.open(db_path)


def test_a_booking_file_that_is_not_sqlite_is_refused(db_path: Path) -> None:
    feed_path_for(db_path).write_bytes(b"hello, not a database\n" * 10)
    with pytest.raises(StoreError, match="booking file"):
        KioskStore.open(db_path)
    assert feed_path_for(db_path).read_bytes() == b"hello, not a database\n" * 10


def test_an_old_database_is_not_upgraded_when_asked_not_to(db_path: Path) -> None:
    build_0001_database(db_path)
    with pytest.raises(StoreError, match="needs an upgrade"):
        KioskStore.open(db_path, upgrade=False)
    assert raw_sql(db_path, "SELECT version_num FROM alembic_version") == [("0001",)]


def test_the_migrated_schema_equals_the_models_step_by_step(db_path: Path) -> None:
    engine = attached_engine(db_path)
    try:
        migrate.upgrade(engine, "0001")
        assert schema_diffs(engine) != []  # 0001 lacks the lockout columns and the ref_event index
        migrate.upgrade(engine)
        assert schema_diffs(engine) == []
        with engine.begin() as connection:  # and the models can write every table of it
            connection.execute(insert(GuardRow).values(name="x", pin_hash="p", active=True, created_at="t"))
    finally:
        engine.dispose()


# --- 0004: refused outbox rows, bounded masked codes -----------------------------------------------------


def migration_0004() -> Any:
    script = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0004")
    assert script is not None
    return script.module


def outbox_bodies(db_path: Path) -> dict[str, dict[str, Any]]:
    return {uuid: json.loads(body) for uuid, body in raw_sql(db_path, "SELECT event_uuid, body FROM outbox")}


def test_0004_rewrites_a_too_long_masked_code_in_the_outbox_and_leaves_the_events_alone(db_path: Path) -> None:
    """An event recorded before mask_evidence kept the whole forged code's mask (160 characters): its
    outbox row failed the wire's 40 at every sync. 0004 rewrites the outbox body only, bounded, from
    what the old value holds (2 + 2 characters, the length) and the event's keyed code hash; the scan
    events, which the audit chain covers, stay exactly as they were."""
    old = build_0003_with_a_long_masked_code(db_path)
    events_before = raw_sql(db_path, "SELECT * FROM scan_events ORDER BY id")
    with KioskStore.open(db_path) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()  # 0004 and after
        assert schema_diffs(store.engine) == []
        bodies = outbox_bodies(db_path)
        masked = bodies[LONG_UUID]["code_masked"]
        assert masked == f"KS****..**67/160#{old.code_hash.hex()[:8]}"
        assert len(masked) <= MAX_MASKED_CHARS
        # the same forged code scanned today: the same length and keyed digest, so the two can be matched
        assert masked.split("/")[1] == mask_evidence(parse_payload(FORGED).code, old.code_hash.hex()).split("/")[1]
        # nothing else in the bodies changed; the short one not at all
        assert {**bodies[LONG_UUID], "code_masked": old.old_masked} == old.bodies[LONG_UUID]
        assert bodies[SHORT_UUID] == old.bodies[SHORT_UUID]
        # both rows are sendable now, and pending
        batch = {item.event_uuid: item for item in outbox.outbox_batch(store, 10)}
        assert {uuid: item.problem for uuid, item in batch.items()} == {LONG_UUID: "", SHORT_UUID: ""}
        event = batch[LONG_UUID].event
        assert event is not None and event.code_masked == masked
        assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (2, 0)
        assert store.audit.verify().ok
    assert raw_sql(db_path, "SELECT * FROM scan_events ORDER BY id") == events_before
    assert len(raw_sql(db_path, f"SELECT code_masked FROM scan_events WHERE event_uuid = '{LONG_UUID}'")[0][0]) == 160


def test_0004_without_the_event_keeps_the_length_and_leaves_the_digest_out(db_path: Path) -> None:
    build_0003_with_a_long_masked_code(db_path)
    raw_sql(db_path, f"UPDATE scan_events SET code_hash = NULL WHERE event_uuid = '{LONG_UUID}'")
    raw_sql(db_path, "INSERT INTO outbox (event_uuid, body, created_at, attempts) VALUES ('junk', 'not json', 't', 0)")
    KioskStore.open(db_path).close()
    bodies = {uuid: body for uuid, body in raw_sql(db_path, "SELECT event_uuid, body FROM outbox")}
    assert json.loads(bodies[LONG_UUID])["code_masked"] == "KS****..**67/160"
    assert bodies["junk"] == "not json"  # not the migration's business: the uploader refuses it


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("MP********M9", "MP********M9"),  # a booking code's mask: already short, kept
        ("K" + "*" * 38 + "Z", "K" + "*" * 38 + "Z"),  # 40: kept
        ("KS" + "*" * 37 + "YZ", "KS****..**YZ/41#0123abcd"),
        ("KS" + "*" * 508 + "YZ", "KS****..**YZ/512#0123abcd"),  # the longest payload the kiosk reads
    ],
)
def test_0004_bounded_mask(old: str, expected: str) -> None:
    assert migration_0004().bounded_mask(old, "0123abcdef") == expected
    assert len(migration_0004().bounded_mask("K" * 10_000, "f" * 64)) <= MAX_MASKED_CHARS


def test_0004_adds_the_refusal_columns_and_takes_them_back(db_path: Path) -> None:
    engine = attached_engine(db_path)
    try:
        migrate.upgrade(engine)
        columns = {row[1] for row in raw_sql(db_path, "PRAGMA table_info(outbox)")}
        assert {"refused_at", "refused_reason"} <= columns
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert not {"refused_at", "refused_reason"} & {row[1] for row in raw_sql(db_path, "PRAGMA table_info(outbox)")}
    finally:
        engine.dispose()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


def test_a_database_from_a_newer_kiosk_is_refused_and_left_alone(db_path: Path) -> None:
    KioskStore.open(db_path).close()
    raw_sql(db_path, "UPDATE alembic_version SET version_num = '0007_future'")
    raw_sql(db_path, "PRAGMA wal_checkpoint(TRUNCATE)")
    before = snapshot(db_path.parent)
    for options in ({}, {"upgrade": False}):
        with pytest.raises(StoreError, match=r"schema version 0007_future, which is newer than this kiosk") as caught:
            KioskStore.open(db_path, **options)
        assert "Install the newer kiosk software" in str(caught.value)
    assert snapshot(db_path.parent) == before


def test_the_newer_check_also_guards_the_migration_itself(db_path: Path) -> None:
    """Even past the check at open (another program stamping the file in between), upgrade refuses."""
    engine = make_engine(db_path)
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0007_future'"))
        with pytest.raises(migrate.SchemaError, match="newer"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0007_future"
    finally:
        engine.dispose()


def test_a_foreign_sqlite_file_is_refused_and_left_alone(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT, minutes INTEGER)")
        connection.execute("INSERT INTO recipes VALUES ('rendang', 240)")
        connection.commit()
    before = snapshot(db_path.parent)
    with pytest.raises(StoreError, match="SQLite database, but not a kiosk database"):
        KioskStore.open(db_path)
    assert snapshot(db_path.parent) == before  # not even switched to WAL
    assert raw_sql(db_path, "PRAGMA journal_mode") == [("delete",)]
    assert not key_path_for(db_path).exists()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(os.urandom(8192), id="random-bytes"),
        pytest.param(b"booking_ref,code\nB-1,MP7KQ2XAT3M9\n" * 50, id="a-csv-file"),
        pytest.param(b"SQLite format 2\x00" + bytes(4080), id="almost-sqlite"),
    ],
)
def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(db_path: Path, content: bytes) -> None:
    db_path.write_bytes(content)
    with pytest.raises(StoreError, match="is not an SQLite database"):
        KioskStore.open(db_path)
    assert db_path.read_bytes() == content
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_a_sqlite_header_on_garbage_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"SQLite format 3\x00" + os.urandom(8176))
    with pytest.raises(StoreError, match=str(db_path)):
        KioskStore.open(db_path)


def test_a_missing_database_is_not_created_when_asked_not_to(db_path: Path) -> None:
    with pytest.raises(StoreError, match="no kiosk database"):
        KioskStore.open(db_path, create=False)
    assert not db_path.exists()


def test_a_missing_database_beside_its_audit_head_is_refused_not_made_anew(db_path: Path) -> None:
    """An audit head file beside no database is the trace of a lost one (issue 13, A): the database is
    restored from the backup, never made anew over it (it used to be set aside as `.old`)."""
    anchor = audit.anchor_path_for(db_path)
    anchor.write_text(json.dumps({"seq": 40, "hash": "ab" * 32}), encoding="ascii")
    with pytest.raises(StoreError, match=r"kiosk\.db is missing but its audit head beside it shows it existed"):
        KioskStore.open(db_path)
    assert not db_path.exists()
    assert audit.read_anchor(anchor) == audit.Head(40, "ab" * 32)
