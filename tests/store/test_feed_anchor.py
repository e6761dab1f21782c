"""The booking file cannot go back in time (kiosk/store/feed_anchor.py).

An older copy of the booking file put back over the current one would bring back bookings cancelled
since; the database file anchors how far the booking file has been seen to be (import generation,
feed cursor), and a file behind that decides nothing until an import or a sync repairs it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kiosk import cli
from kiosk.domain.model import Reason, Status, Verdict
from kiosk.protocol import codes as signed_codes
from kiosk.store import feed_anchor, feed_state
from kiosk.store.bookings import ROW_COLUMNS, seal_material
from kiosk.store.codes import key_path_for, load_or_create_key
from kiosk.store.db import KioskStore
from kiosk.store.engine import feed_path_for
from kiosk.store.feed_state import Content
from kiosk.store.status import store_status
from kiosk.sync import apply, signed
from kiosk.sync.client import KioskRevokedError, SyncClient, enrol
from tests.server.support import Admin, ServerProcess, booking, codes, fresh_database, now
from tests.store.conftest import (
    BOOKINGS,
    CANCELLED_CODE,
    CODE,
    DAY,
    FAMILY_CODE,
    NOW,
    OFFICE,
    SETUP,
    incoming,
    new_store,
    present,
    raw_connection,
    raw_sql,
)

NEVER_BOOKED = "MPNOTBOOKED9"


# --- helpers ----------------------------------------------------------------------------------------------


def copy_booking_file(db_path: Path, to: Path) -> None:
    """A consistent copy of the booking file (nobody has it open: its WAL is in it)."""
    with closing(sqlite3.connect(feed_path_for(db_path))) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(feed_path_for(db_path), to)


def put_back(copy: Path, db_path: Path) -> None:
    """The old copy over the current booking file, as someone with write access would do it."""
    feed = feed_path_for(db_path)
    for companion in feed.parent.glob(feed.name + "-*"):
        companion.unlink()
    shutil.copyfile(copy, feed)


def kinds(db_path: Path) -> list[str]:
    return [row[0] for row in raw_sql(db_path, "SELECT kind FROM audit_log ORDER BY seq")]


def verdicts(store: KioskStore, *codes_: str, at: dt.datetime = NOW) -> dict[str, tuple[Verdict, Reason]]:
    decisions = {code: store.decisions.decide_only(present(code), at) for code in codes_}
    return {code: (d.verdict, d.reason) for code, d in decisions.items()}


def db_status(db_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["db", "status", "--db", str(db_path)]) == cli.EXIT_OK
    return capsys.readouterr().out


STALE = (Verdict.REFER, Reason.STALE_DATA)


# --- a kiosk whose bookings are imported by hand -------------------------------------------------------------


def cancel_by_import(store: KioskStore, code: str) -> None:
    cancelled = {code: dataclasses.replace(BOOKINGS[code], status=Status.CANCELLED, version=2)}
    store.bookings.import_rows(incoming(cancelled, "2026-12-07T01:00:00+00:00"), SETUP, "cancellation")


def test_an_older_imported_booking_file_put_back_sends_every_code_to_the_officer_until_imported_again(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Figure: a booking cancelled by the last import, alive again in the old copy, is REFERred
    (STALE_DATA) and not admitted; an unknown code too; said once in the chain and in db status."""
    old = tmp_path / "old-bookings.db"
    with new_store(db_path) as store:  # import 1: CODE active
        pass
    copy_booking_file(db_path, old)
    with KioskStore.open(db_path) as store:
        cancel_by_import(store, CODE)  # import 2: CODE cancelled
        assert verdicts(store, CODE)[CODE] == (Verdict.DENY, Reason.CANCELLED)
    put_back(old, db_path)

    with KioskStore.open(db_path) as store:
        assert store.bookings.count() == len(BOOKINGS)  # the old file is sound, its rows readable: not used
        assert verdicts(store, CODE, NEVER_BOOKED, FAMILY_CODE) == dict.fromkeys(
            (CODE, NEVER_BOOKED, FAMILY_CODE), STALE
        )
        assert store.decisions.record(present(CODE), NOW).decision.verdict is Verdict.REFER
        assert store.audit.verify().ok
        status = store_status(store, NOW)
        assert status.bookings_rolled_back == "import generation 1, expected at least generation 2"
    assert raw_sql(db_path, "SELECT subject FROM audit_log WHERE kind = 'feed.rolled_back'") == [
        ("file:kiosk.bookings.db",)
    ]
    out = db_status(db_path, capsys)
    assert (
        "bookings:       OLDER than this database last saw (import generation 1, expected at least generation 2): "
        "the booking file was rolled back or replaced; every code goes to the officer until the next sync / import"
    ) in out
    assert "file integrity: ok" in out
    with KioskStore.open(db_path) as store:  # opened again, checked again: still noted only once
        assert store.check_files() is None
        assert verdicts(store, CODE)[CODE] == STALE
    assert kinds(db_path).count("feed.rolled_back") == 1

    with KioskStore.open(db_path) as store:  # the import repairs it
        cancel_by_import(store, CODE)
        assert verdicts(store, CODE, NEVER_BOOKED, FAMILY_CODE) == {
            CODE: (Verdict.DENY, Reason.CANCELLED),
            NEVER_BOOKED: (Verdict.DENY, Reason.UNKNOWN_CODE),
            FAMILY_CODE: (Verdict.ADMIT, Reason.OK),
        }
        assert store.bookings.file_behind() is None
        assert store_status(store, NOW).bookings_rolled_back == ""
        assert store.audit.verify().ok
    assert "OLDER" not in db_status(db_path, capsys)
    assert kinds(db_path).count("feed.rolled_back") == 1


def test_a_booking_file_swapped_while_the_kiosk_runs_is_caught_at_the_next_scan_and_noted_at_the_check(
    db_path: Path, tmp_path: Path
) -> None:
    """Figure: no reopen needed: the next scan refers, the periodic check notes it once."""
    old = tmp_path / "old-bookings.db"
    with new_store(db_path) as store:
        pass
    copy_booking_file(db_path, old)
    with KioskStore.open(db_path) as store:
        cancel_by_import(store, CANCELLED_CODE)
        assert verdicts(store, CODE)[CODE] == (Verdict.ADMIT, Reason.OK)
        with closing(sqlite3.connect(old)) as source, closing(sqlite3.connect(feed_path_for(db_path))) as target:
            source.backup(target)  # the old file's pages written over the live one, under SQLite's locks
        assert verdicts(store, CODE)[CODE] == STALE
        assert kinds(db_path).count("feed.rolled_back") == 0
        assert store.check_files() is None  # not out of order: the kiosk refers, it does not stop
        assert store.check_files() is None
        assert kinds(db_path).count("feed.rolled_back") == 1
        assert store.audit.verify().ok


def test_a_booking_file_ahead_of_its_anchor_after_a_crash_is_not_flagged(db_path: Path) -> None:
    """Figure: an import cut off between its two files the other way round (booking file committed,
    database not), simulated: the file's generation above the anchor's: decisions as usual, no entry."""
    with new_store(db_path):
        pass
    raw_sql(db_path, "UPDATE feed.sync_state SET import_generation = import_generation + 1")
    with KioskStore.open(db_path) as store:
        assert store.bookings.file_behind() is None
        assert verdicts(store, CODE)[CODE] == (Verdict.ADMIT, Reason.OK)
        assert store.check_files() is None
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "again")  # max(file, anchor) + 1: both agree again
        assert raw_sql(db_path, "SELECT import_generation FROM feed.sync_state") == [(3,)]
    assert "feed.rolled_back" not in kinds(db_path)


def test_a_lost_booking_file_is_reported_as_lost_not_also_as_rolled_back(db_path: Path) -> None:
    with new_store(db_path):
        pass
    for path in feed_path_for(db_path).parent.glob(feed_path_for(db_path).name + "*"):
        path.unlink()
    with KioskStore.open(db_path) as store:
        assert store.bookings.data_lost()
        assert verdicts(store, CODE)[CODE] == STALE
        assert store.check_files() is None
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "again")
        assert verdicts(store, CODE)[CODE] == (Verdict.ADMIT, Reason.OK)
    assert kinds(db_path).count("feed.lost") == 1
    assert "feed.rolled_back" not in kinds(db_path)


# --- an enrolled kiosk, synced from a real server on loopback ------------------------------------------------


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Admin]]:
    with fresh_database("sqlite", tmp_path_factory.mktemp("server")) as url:
        admin = Admin(url)
        process = ServerProcess(url, tmp_path_factory.mktemp("log") / "server.log", page_limit=50).start()
        try:
            yield process, admin
        finally:
            process.stop()
            admin.close()


def sync_once(store: KioskStore) -> Any:
    with SyncClient(store, timeout_s=5) as client:
        return client.sync_once()


def test_an_older_synced_booking_file_put_back_sends_every_code_to_the_officer_until_the_sync_catches_up(
    loopback: tuple[ServerProcess, Admin], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Figure: the old file (cursor E.n) resumes from its cursor, re-applies the later pages (the
    cancellation among them), and decisions are normal again, the cancelled code denied."""
    server, admin = loopback
    office = admin.office()
    kept, cancelled, later = codes("RB", 3)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate((kept, cancelled))])
    db_path, old = tmp_path / "kiosk.db", tmp_path / "old-bookings.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
        assert verdicts(store, cancelled, at=now())[cancelled] == (Verdict.ADMIT, Reason.OK)
    copy_booking_file(db_path, old)
    with KioskStore.open(db_path) as store:
        admin.cancel(cancelled)
        admin.load([booking(later, f"{office}-2", office)])
        sync_once(store)
        assert verdicts(store, cancelled, at=now())[cancelled] == (Verdict.DENY, Reason.CANCELLED)
    put_back(old, db_path)

    with KioskStore.open(db_path) as store:
        assert verdicts(store, cancelled, kept, later, at=now()) == dict.fromkeys((cancelled, kept, later), STALE)
        recorded = store.decisions.record(present(cancelled), now())
        assert recorded.decision.verdict is Verdict.REFER
        assert store.audit.verify().ok
        behind_text = store_status(store, now()).bookings_rolled_back
        assert behind_text.startswith("cursor ") and ", expected at least cursor " in behind_text
    assert kinds(db_path).count("feed.rolled_back") == 1
    assert f"OLDER than this database last saw ({behind_text})" in db_status(db_path, capsys)

    with KioskStore.open(db_path) as store:  # the sync catches up from the old cursor
        result = sync_once(store)
        assert result.tombstones >= 1
        assert store.bookings.file_behind() is None
        assert verdicts(store, cancelled, kept, later, at=now()) == {
            cancelled: (Verdict.DENY, Reason.CANCELLED),
            kept: (Verdict.ADMIT, Reason.OK),
            later: (Verdict.ADMIT, Reason.OK),
        }
        assert store.audit.verify().ok
    assert "OLDER" not in db_status(db_path, capsys)
    assert kinds(db_path).count("feed.rolled_back") == 1


def test_a_synced_file_ahead_of_its_anchor_after_a_crash_is_not_flagged_and_the_next_sync_settles_it(
    loopback: tuple[ServerProcess, Admin], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Figure: a crash after a page is in the booking file and before its `sync.page` entry is in the
    database file leaves the file AHEAD of the anchor: decisions as usual, no `feed.rolled_back`."""
    server, admin = loopback
    office = admin.office()
    first, cancelled = codes("CR", 2)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate((first, cancelled))])
    db_path = tmp_path / "kiosk.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
        admin.cancel(cancelled)
        settle = apply.settle_page_audit

        def crash_before_the_entry(store: KioskStore, **options: Any) -> Any:
            with store.reading() as connection:
                owed = apply.state.pending_audit(connection)
                if owed is not None and not apply._entry_written(connection, owed):
                    raise OSError("power cut")  # the page is in the booking file, its entry not in the chain
            return settle(store, **options)

        monkeypatch.setattr(apply, "settle_page_audit", crash_before_the_entry)
        with pytest.raises(Exception, match="power cut"):
            sync_once(store)
        monkeypatch.undo()
    with KioskStore.open(db_path) as store:
        assert store.bookings.file_behind() is None
        assert verdicts(store, cancelled, first, at=now()) == {
            cancelled: (Verdict.DENY, Reason.CANCELLED),
            first: (Verdict.ADMIT, Reason.OK),
        }
        sync_once(store)  # writes the owed entry, moves the anchor
        assert store.bookings.file_behind() is None
        assert store.audit.verify().ok
    assert "feed.rolled_back" not in kinds(db_path)


def test_a_reset_of_a_sound_file_is_not_a_rollback_but_a_reset_of_a_rolled_back_one_still_is(
    loopback: tuple[ServerProcess, Admin], tmp_path: Path
) -> None:
    server, admin = loopback
    office = admin.office()
    (code,) = codes("RS", 1)
    admin.load([booking(code, f"{office}-0", office)])
    db_path, old = tmp_path / "kiosk.db", tmp_path / "old-bookings.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
        apply.reset_cursor(store, now(), "the server's feed was rebuilt")
        assert store.bookings.file_behind() is None  # nothing was lost: decisions go on during the download
        assert verdicts(store, code, at=now())[code] == (Verdict.ADMIT, Reason.OK)
        sync_once(store)
    copy_booking_file(db_path, old)
    with KioskStore.open(db_path) as store:
        admin.cancel(code)
        sync_once(store)
    put_back(old, db_path)
    with KioskStore.open(db_path) as store:
        apply.reset_cursor(store, now(), "the server's feed was rebuilt")
        assert store.bookings.file_behind() is not None  # still held to where it was
        assert verdicts(store, code, at=now())[code] == STALE
        sync_once(store)
        assert store.bookings.file_behind() is None
        assert verdicts(store, code, at=now())[code] == (Verdict.DENY, Reason.CANCELLED)


# --- the content: rows this kiosk did not write (findings 4 and 5 of the review) ---------------------------


def sync_state_row(db_path: Path) -> tuple[list[str], tuple[Any, ...]]:
    with closing(sqlite3.connect(feed_path_for(db_path))) as connection:
        found = connection.execute("SELECT * FROM sync_state WHERE id = 1")
        return [column[0] for column in found.description], found.fetchone()


def forge_sync_state(db_path: Path, columns: list[str], values: tuple[Any, ...], *, recount: bool) -> None:
    """The current sync_state row written into the (old) booking file with sqlite3, as root would;
    `recount`: its content digest made to agree with the old file's rows (root knows how it is made)."""
    with closing(sqlite3.connect(feed_path_for(db_path), isolation_level=None)) as connection:
        connection.execute("DELETE FROM sync_state")
        marks = ", ".join("?" * len(columns))
        connection.execute(f"INSERT INTO sync_state ({', '.join(columns)}) VALUES ({marks})", values)
        if recount:
            macs = [mac for (mac,) in connection.execute("SELECT row_mac FROM bookings")]
            connection.execute("UPDATE sync_state SET content_digest = ?", (str(Content().changed(macs)),))


def reseal(db_path: Path, code: str, **changes: Any) -> None:
    """A booking row edited by hand and sealed again with the kiosk's own key (root has it); the file's
    content digest recounted to agree."""
    hasher = load_or_create_key(key_path_for(db_path), create=False)
    with closing(raw_connection(db_path)) as connection:
        connection.row_factory = sqlite3.Row
        row = dict(connection.execute("SELECT * FROM bookings WHERE code_hash = ?", (hasher.hash(code),)).fetchone())
        row.update(changes)
        row["row_mac"] = hasher.mac(seal_material(row))
        sets = ", ".join(f"{column} = ?" for column in ROW_COLUMNS)
        connection.execute(f"UPDATE bookings SET {sets} WHERE id = ?", (*(row[c] for c in ROW_COLUMNS), row["id"]))
        macs = [mac for (mac,) in connection.execute("SELECT row_mac FROM bookings")]
        connection.execute("UPDATE feed.sync_state SET content_digest = ?", (str(Content().changed(macs)),))
        connection.commit()


def content_agrees(store: KioskStore) -> bool:
    """The anchor, the file's own digest and the rows counted again all agree, and the anchor is the
    one the chain holds."""
    with store.reading() as connection:
        anchor = feed_anchor.read_anchor(connection)
        counted = feed_state.recompute(connection)
        return (
            anchor.content == str(counted) == str(feed_state.file_content(connection))
            and feed_anchor.chain_problem(connection, anchor) is None
            and feed_anchor.examine(connection, deep=True) is None
        )


@pytest.mark.parametrize("recount", [False, True], ids=["sync-state-copied", "digest-recounted-too"])
def test_an_old_synced_file_with_the_current_sync_state_copied_in_is_caught_and_the_next_sync_repairs_it(
    loopback: tuple[ServerProcess, Admin], tmp_path: Path, capsys: pytest.CaptureFixture[str], recount: bool
) -> None:
    """Finding 4: the old file, its sync_state replaced by the current one (cursor, generation, data
    age, content digest...): REFER STALE_DATA for every code, one entry, the db status line; the next
    sync downloads everything again (not from the forged cursor) and the cancellation is back."""
    server, admin = loopback
    office = admin.office()
    kept, cancelled = codes("F4", 2)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate((kept, cancelled))])
    db_path, old = tmp_path / "kiosk.db", tmp_path / "old-bookings.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
    copy_booking_file(db_path, old)
    with KioskStore.open(db_path) as store:
        admin.cancel(cancelled)
        sync_once(store)
        assert verdicts(store, cancelled, at=now())[cancelled] == (Verdict.DENY, Reason.CANCELLED)
        assert content_agrees(store)
    columns, current = sync_state_row(db_path)
    put_back(old, db_path)
    forge_sync_state(db_path, columns, current, recount=recount)

    with KioskStore.open(db_path) as store:
        assert verdicts(store, cancelled, kept, at=now()) == dict.fromkeys((cancelled, kept), STALE)
        assert store.decisions.record(present(cancelled), now()).decision.verdict is Verdict.REFER
        reason = store_status(store, now()).bookings_rolled_back
        assert reason.startswith("booking rows this kiosk did not write")
        assert store.audit.verify().ok
    assert kinds(db_path).count("feed.rolled_back") == 1
    assert f"OLDER than this database last saw ({reason})" in db_status(db_path, capsys)

    with KioskStore.open(db_path) as store:
        result = sync_once(store)
        assert result.bookings >= 1  # from nothing, not from the forged cursor
        assert verdicts(store, cancelled, kept, at=now()) == {
            cancelled: (Verdict.DENY, Reason.CANCELLED),
            kept: (Verdict.ADMIT, Reason.OK),
        }
        assert store.bookings.file_behind() is None
        assert content_agrees(store)
        assert store.check_files() is None
        assert store.audit.verify().ok
    assert "OLDER" not in db_status(db_path, capsys)
    assert kinds(db_path).count("feed.rolled_back") == 1


def test_a_row_edited_by_hand_and_sealed_again_with_the_kiosks_key_is_caught_at_open_and_repaired_by_an_import(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with new_store(db_path):
        pass
    reseal(db_path, CANCELLED_CODE, status=Status.ACTIVE.value, version=99)
    with KioskStore.open(db_path) as store:
        assert verdicts(store, CANCELLED_CODE, CODE) == dict.fromkeys((CANCELLED_CODE, CODE), STALE)
        assert store.bookings.file_behind() is not None
    assert kinds(db_path).count("feed.rolled_back") == 1
    assert "booking rows this kiosk did not write" in db_status(db_path, capsys)
    with KioskStore.open(db_path) as store:  # the office's full export repairs it, whatever the forged version
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "full export")
        assert verdicts(store, CANCELLED_CODE, CODE) == {
            CANCELLED_CODE: (Verdict.DENY, Reason.CANCELLED),
            CODE: (Verdict.ADMIT, Reason.OK),
        }
        assert store.bookings.file_behind() is None
        assert content_agrees(store)
    assert kinds(db_path).count("feed.rolled_back") == 1


def test_a_row_sealed_again_while_the_kiosk_runs_is_caught_by_the_periodic_check(db_path: Path) -> None:
    with new_store(db_path) as store:
        assert verdicts(store, CANCELLED_CODE)[CANCELLED_CODE] == (Verdict.DENY, Reason.CANCELLED)
        reseal(db_path, CANCELLED_CODE, status=Status.ACTIVE.value)
        assert verdicts(store, CANCELLED_CODE)[CANCELLED_CODE] == (Verdict.ADMIT, Reason.OK)  # per scan: not seen
        assert store.check_files() is None  # not out of order: the kiosk refers
        assert verdicts(store, CANCELLED_CODE, CODE) == dict.fromkeys((CANCELLED_CODE, CODE), STALE)
        assert store.check_files() is None
    assert kinds(db_path).count("feed.rolled_back") == 1


def test_an_anchor_edited_in_the_settings_with_the_report_deleted_is_still_caught(
    db_path: Path, tmp_path: Path
) -> None:
    """Finding 5: the anchor in the settings set back to the old file's state and the report deleted:
    the chain's entry does not cover that anchor."""
    old = tmp_path / "old-bookings.db"
    with new_store(db_path):
        pass
    copy_booking_file(db_path, old)
    with KioskStore.open(db_path) as store:
        cancel_by_import(store, CODE)
    put_back(old, db_path)
    with KioskStore.open(db_path) as store:
        assert verdicts(store, CODE)[CODE] == STALE
    assert kinds(db_path).count("feed.rolled_back") == 1
    old_file = json.loads(raw_sql(db_path, "SELECT value FROM settings WHERE key = 'feed.anchor'")[0][0])
    with closing(raw_connection(db_path)) as connection:
        macs = [mac for (mac,) in connection.execute("SELECT row_mac FROM bookings")]
    forged = {**old_file, "generation": 1, "content": str(Content().changed(macs))}
    raw_sql(db_path, "UPDATE settings SET value = ? WHERE key = 'feed.anchor'", (json.dumps(forged, sort_keys=True),))
    raw_sql(db_path, "DELETE FROM settings WHERE key = 'feed.rolled_back'")

    with KioskStore.open(db_path) as store:
        assert verdicts(store, CODE)[CODE] == STALE
        assert "not the one the audit chain holds" in str(store.bookings.file_behind())
    assert kinds(db_path).count("feed.rolled_back") == 2  # said again: the report was deleted
    raw_sql(db_path, "UPDATE settings SET value = ? WHERE key = 'feed.anchor'", (json.dumps(forged, sort_keys=True),))
    raw_sql(db_path, "DELETE FROM settings WHERE key = 'feed.rolled_back'")
    stripped = {k: v for k, v in forged.items() if k not in ("cover", "content")}
    raw_sql(db_path, "UPDATE settings SET value = ? WHERE key = 'feed.anchor'", (json.dumps(stripped, sort_keys=True),))
    with KioskStore.open(db_path) as store:  # an anchor made to look like an older kiosk's: no entry names it
        assert verdicts(store, CODE)[CODE] == STALE
        assert "in no audit entry" in str(store.bookings.file_behind())


def test_a_cursor_moved_ahead_by_hand_is_caught(loopback: tuple[ServerProcess, Admin], tmp_path: Path) -> None:
    """A cursor set past the anchor (so that the next sync would skip changes), no page being applied."""
    server, admin = loopback
    office = admin.office()
    (code,) = codes("AH", 1)
    admin.load([booking(code, f"{office}-0", office)])
    db_path = tmp_path / "kiosk.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
    epoch, seq = raw_sql(db_path, "SELECT cursor FROM feed.sync_state")[0][0].split(".")
    raw_sql(db_path, "UPDATE feed.sync_state SET cursor = ?", (f"{epoch}.{int(seq) + 5}",))
    with KioskStore.open(db_path) as store:
        assert verdicts(store, code, at=now())[code] == STALE
        assert "no page being applied" in str(store.bookings.file_behind())
        sync_once(store)
        assert verdicts(store, code, at=now())[code] == (Verdict.ADMIT, Reason.OK)
    assert kinds(db_path).count("feed.rolled_back") == 1


# --- no false alarm -------------------------------------------------------------------------------------


def test_imports_purges_and_a_learned_code_keep_the_anchor_and_the_rows_in_step(db_path: Path) -> None:
    with new_store(db_path) as store:
        assert content_agrees(store)
        cancel_by_import(store, CODE)
        assert content_agrees(store)
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "older versions: not written")
        assert content_agrees(store)
        later = dt.datetime(2026, 12, 20, 3, 0, tzinfo=dt.UTC)
        assert store.retention.purge(later, retention_days=7).bookings > 0
        assert content_agrees(store)
        fields = signed_codes.SignedFields(
            code="LRN4Q2XA8K3M",
            booking_ref="B-LEARNED",
            office_code=OFFICE,
            service_date=DAY,
            slot_start=dt.time(0, 0),
            slot_end=dt.time(23, 59),
        )
        assert signed.learn(store, fields, SETUP)
        assert content_agrees(store)
        assert store.check_files() is None
    with KioskStore.open(db_path) as store:
        assert store.bookings.file_behind() is None
        assert content_agrees(store)
        assert store.audit.verify().ok
    assert "feed.rolled_back" not in kinds(db_path)


def test_syncs_a_wipe_and_enrolling_again_raise_no_alarm(loopback: tuple[ServerProcess, Admin], tmp_path: Path) -> None:
    server, admin = loopback
    office = admin.office()
    first, cancelled, removed, later = codes("NA", 4)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate((first, cancelled, removed))])
    db_path = tmp_path / "kiosk.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
        assert content_agrees(store)
        admin.cancel(cancelled)
        admin.load([booking(later, f"{office}-3", office)])
        sync_once(store)
        assert content_agrees(store) and store.check_files() is None
        store.bookings.import_rows(incoming(BOOKINGS), SETUP, "an import on an enrolled kiosk")
        assert content_agrees(store)
        sync_once(store)
        assert content_agrees(store)
        kiosk_id = store.settings.identity().kiosk_id
    with KioskStore.open(db_path) as store:
        assert content_agrees(store)
        admin.revoke(kiosk_id)
        with pytest.raises(KioskRevokedError):
            sync_once(store)  # told it is revoked: wiped
        assert store.bookings.count() == 0
        assert content_agrees(store)
    with KioskStore.open(db_path) as store:
        assert store.bookings.file_behind() is None
        enrol(store, server.url, admin.enrol(office, "G2"), "G2")
        sync_once(store)
        assert verdicts(store, cancelled, later, at=now()) == {
            cancelled: (Verdict.DENY, Reason.CANCELLED),
            later: (Verdict.ADMIT, Reason.OK),
        }
        assert content_agrees(store)
        assert store.audit.verify().ok
    assert "feed.rolled_back" not in kinds(db_path)


def test_a_page_cut_off_with_its_process_is_downloaded_again_without_an_alarm(
    loopback: tuple[ServerProcess, Admin], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut between a page's rows and its entry, the process gone: the file cannot be checked
    (root could have forged it meanwhile): emptied and downloaded again, `sync.reset`, no alarm."""
    server, admin = loopback
    office = admin.office()
    first, cancelled = codes("PC", 2)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate((first, cancelled))])
    db_path = tmp_path / "kiosk.db"
    with KioskStore.open(db_path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
        sync_once(store)
        admin.cancel(cancelled)

        def power_cut(store: KioskStore) -> Any:
            raise OSError("power cut")

        monkeypatch.setattr(apply, "settle_page_audit", lambda store, **options: None)
        monkeypatch.setattr(apply, "apply_page", _cut_after_rows(apply.apply_page, power_cut))
        with pytest.raises(Exception, match="power cut"):
            sync_once(store)
        monkeypatch.undo()
    monkeypatch.setattr(feed_state, "_PROCESS", "another process")  # the process that wrote the intent is gone
    monkeypatch.setattr(feed_state, "_process_mark", lambda pid: "another boot")
    with KioskStore.open(db_path) as store:
        assert store.bookings.count() == 0  # emptied: to be downloaded again
        assert store.bookings.file_behind() is None
        assert verdicts(store, first, at=now())[first][0] is Verdict.REFER  # no complete data: to the officer
        sync_once(store)
        assert verdicts(store, cancelled, first, at=now()) == {
            cancelled: (Verdict.DENY, Reason.CANCELLED),
            first: (Verdict.ADMIT, Reason.OK),
        }
        assert content_agrees(store)
        assert store.audit.verify().ok
    assert "feed.rolled_back" not in kinds(db_path)
    assert "sync.reset" in kinds(db_path)


def _cut_after_rows(real: Any, cut: Any) -> Any:
    """apply_page that applies the page (its rows and cursor in the booking file) and then dies before
    its entry."""

    def applying(store: KioskStore, page: Any, *args: Any, **options: Any) -> Any:
        real(store, page, *args, **options)
        return cut(store)

    return applying
