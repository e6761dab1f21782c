"""The hash-chained audit log: every kind of tampering is found, and named at the right entry.

Tampering is done the way someone with the file would do it: with the plain sqlite3 module, without
the kiosk's code. The chain has no secret, so the cleverer forgeries below also recompute every hash
after the change; those are caught by what the forger cannot rewrite: the anchor file beside the
database (the head after each commit) and the scan events that point at their audit entries.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.domain.model import Verdict
from kiosk.store import audit
from kiosk.store.db import KioskStore
from tests.store.conftest import (
    BOOKINGS,
    CANCELLED_CODE,
    CODE,
    FAMILY_CODE,
    NAMES,
    NIKS,
    NOW,
    OTHER_OFFICE_CODE,
    PRIORITY_CODE,
    TOMORROW_CODE,
    UNKNOWN_CODE,
    present,
    raw_sql,
)

#: Scanned in this order by the `chain` fixture; entries 1 and 2 are the settings and the import.
SCANS = (CODE, UNKNOWN_CODE, FAMILY_CODE, CANCELLED_CODE, TOMORROW_CODE, PRIORITY_CODE, OTHER_OFFICE_CODE, CODE)
FIRST_SCAN_SEQ = 3
HEAD_SEQ = FIRST_SCAN_SEQ + len(SCANS) - 1  # 10


@pytest.fixture
def chain(store: KioskStore) -> KioskStore:
    """The store with SCANS recorded (event uuids scan-01 ...), one audit entry each."""
    for number, code in enumerate(SCANS, start=1):
        store.decisions.record(present(code), NOW, event_uuid=f"scan-{number:02d}")
    assert store.audit.head().seq == HEAD_SEQ
    return store


def entry(db_path: Path, seq: int) -> dict[str, object]:
    with closing(sqlite3.connect(db_path)) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        return dict(row)


def rehash_from(db_path: Path, seq: int) -> None:
    """What a careful forger does after a change: recompute the chain from `seq` to the end."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as connection:
        rows = connection.execute("SELECT seq, at, kind, subject, digest FROM audit_log ORDER BY seq").fetchall()
        previous = audit.GENESIS
        for number, at, kind, subject, digest in rows:
            if number >= seq:
                value = audit.entry_hash(number, at, kind, subject, digest, previous)
                connection.execute(
                    "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (previous, value, number)
                )
                previous = value
            else:
                previous = connection.execute("SELECT hash FROM audit_log WHERE seq = ?", (number,)).fetchone()[0]


def shift_up(db_path: Path, from_seq: int) -> None:
    """Make room for an entry at `from_seq` (two steps: seq is the primary key)."""
    raw_sql(db_path, "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= ?", (from_seq,))
    raw_sql(db_path, "UPDATE audit_log SET seq = -seq WHERE seq < 0")


def problems_text(store: KioskStore) -> str:
    return "\n".join(store.audit.verify().problems)


# --- a clean chain ------------------------------------------------------------------------------------


def test_a_clean_chain_verifies(chain: KioskStore) -> None:
    report = chain.audit.verify()
    assert report.ok, report.problems
    assert (report.entries, report.events, report.first_bad_seq) == (HEAD_SEQ, len(SCANS), None)
    assert audit.read_anchor(chain.anchor_path) == chain.audit.head()


def test_each_entry_links_to_the_one_before(chain: KioskStore, db_path: Path) -> None:
    previous = audit.GENESIS
    for seq in range(1, HEAD_SEQ + 1):
        row = entry(db_path, seq)
        assert row["prev_hash"] == previous
        assert row["hash"] == audit.entry_hash(
            seq, str(row["at"]), str(row["kind"]), str(row["subject"]), str(row["digest"]), previous
        )
        previous = str(row["hash"])


def test_an_anchor_one_step_behind_is_accepted(chain: KioskStore, db_path: Path) -> None:
    """A kill between the commit and the anchor update leaves the anchor one entry behind: not tampering."""
    behind = entry(db_path, HEAD_SEQ - 1)
    audit.write_anchor(chain.anchor_path, audit.Head(HEAD_SEQ - 1, str(behind["hash"])))
    assert chain.audit.verify().ok
    chain.decisions.record(present(UNKNOWN_CODE), NOW)  # and the next commit moves it on
    assert audit.read_anchor(chain.anchor_path) == chain.audit.head()


def test_an_anchor_that_does_not_match_its_entry_is_reported(chain: KioskStore) -> None:
    audit.write_anchor(chain.anchor_path, audit.Head(HEAD_SEQ - 1, "f" * 64))
    report = chain.audit.verify()
    assert report.first_bad_seq == HEAD_SEQ - 1
    assert "differs from the head recorded" in report.problems[0]


def test_an_unreadable_anchor_is_reported(chain: KioskStore) -> None:
    chain.anchor_path.write_text("{not json", encoding="ascii")
    assert "unreadable" in problems_text(chain)


# --- the five kinds of tampering with the log ----------------------------------------------------------


def test_an_edited_entry_is_found_at_its_seq(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "UPDATE audit_log SET kind = 'event.manual' WHERE seq = 5")
    report = chain.audit.verify()
    assert report.first_bad_seq == 5
    assert "entry 5 was edited" in report.problems[0]


@pytest.mark.parametrize("column", ["at", "subject", "digest", "prev_hash", "hash"])
def test_any_edited_column_is_found(chain: KioskStore, db_path: Path, column: str) -> None:
    value = str(entry(db_path, 6)[column])
    raw_sql(
        db_path, f"UPDATE audit_log SET {column} = ? WHERE seq = 6", (value[:-1] + ("0" if value[-1] != "0" else "1"),)
    )
    report = chain.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == 6


def test_an_edit_with_the_chain_recomputed_is_caught_by_the_anchor_and_the_event(
    chain: KioskStore, db_path: Path
) -> None:
    raw_sql(db_path, "UPDATE audit_log SET digest = ? WHERE seq = 7", ("0" * 64,))
    rehash_from(db_path, 7)
    report = chain.audit.verify()
    assert report.first_bad_seq == 7
    assert any("event scan-05 was edited" in p for p in report.problems)
    assert any(f"entry {HEAD_SEQ} differs from the head" in p for p in report.problems)


def test_a_deleted_entry_is_found_at_its_seq(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq = 6")
    report = chain.audit.verify()
    assert report.first_bad_seq == 6
    assert "entry 6 is missing (deleted); the chain jumps to 7" in report.problems[0]
    assert any("event scan-04 has no audit entry 6" in p for p in report.problems)


def test_a_deleted_entry_with_the_rest_renumbered_and_rehashed_is_caught(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq = 6")
    raw_sql(db_path, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 6")
    rehash_from(db_path, 6)
    report = chain.audit.verify()
    assert report.first_bad_seq == 6  # scan-04's entry 6 is now scan-05's
    assert any("event scan-04 was edited" in p for p in report.problems)
    assert any("cut off" in p for p in report.problems)  # the anchor names entry 10; the chain ends at 9


def test_the_deleted_anchor_entry_is_reported_not_crashed_on(chain: KioskStore, db_path: Path) -> None:
    behind = entry(db_path, HEAD_SEQ - 1)
    audit.write_anchor(chain.anchor_path, audit.Head(HEAD_SEQ - 1, str(behind["hash"])))
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq = ?", (HEAD_SEQ - 1,))
    report = chain.audit.verify()
    assert report.first_bad_seq == HEAD_SEQ - 1
    assert any(
        f"entry {HEAD_SEQ - 1}, recorded as the head after it was written, is missing" in p for p in report.problems
    )


@pytest.mark.parametrize("how", ["swap-seq", "swap-contents"])
def test_reordered_entries_are_found_at_the_first_moved_one(chain: KioskStore, db_path: Path, how: str) -> None:
    if how == "swap-seq":
        raw_sql(db_path, "UPDATE audit_log SET seq = -1 WHERE seq = 5")
        raw_sql(db_path, "UPDATE audit_log SET seq = 5 WHERE seq = 8")
        raw_sql(db_path, "UPDATE audit_log SET seq = 8 WHERE seq = -1")
    else:
        five, eight = entry(db_path, 5), entry(db_path, 8)
        for seq, other in ((5, eight), (8, five)):
            raw_sql(
                db_path,
                "UPDATE audit_log SET at = ?, kind = ?, subject = ?, digest = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (other["at"], other["kind"], other["subject"], other["digest"], other["prev_hash"], other["hash"], seq),
            )
    report = chain.audit.verify()
    assert report.first_bad_seq == 5
    assert "entry 5 does not follow entry 4 (reordered or inserted)" in report.problems[0]
    assert any("entry 8 does not follow entry 7" in p for p in report.problems)


def test_a_reorder_with_the_chain_recomputed_is_caught_by_the_events(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "UPDATE audit_log SET seq = -1 WHERE seq = 5")
    raw_sql(db_path, "UPDATE audit_log SET seq = 5 WHERE seq = 8")
    raw_sql(db_path, "UPDATE audit_log SET seq = 8 WHERE seq = -1")
    rehash_from(db_path, 5)
    report = chain.audit.verify()
    assert report.first_bad_seq == 5
    assert any("event scan-03 was edited" in p for p in report.problems)  # scan-03's entry is 5


def forge(db_path: Path, seq: int, kind: str = "purge", subject: str = "bookings:0") -> None:
    """Insert a well-formed entry at `seq`, linked to the entry before it."""
    shift_up(db_path, seq)
    previous = str(entry(db_path, seq - 1)["hash"])
    at, digest = "2026-12-07T03:16:00.000000+00:00", audit.canonical_digest({"forged": True})
    value = audit.entry_hash(seq, at, kind, subject, digest, previous)
    raw_sql(
        db_path,
        "INSERT INTO audit_log (seq, at, kind, subject, digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, at, kind, subject, digest, previous, value),
    )


def test_an_inserted_entry_is_found_where_it_was_put(chain: KioskStore, db_path: Path) -> None:
    forge(db_path, 6)
    report = chain.audit.verify()
    assert report.first_bad_seq == 6
    assert any("event scan-04 was edited" in p for p in report.problems)  # its entry 6 is now the forgery
    assert any("entry 7 does not follow entry 6 (reordered or inserted)" in p for p in report.problems)


def test_an_inserted_entry_with_the_chain_recomputed_is_caught(chain: KioskStore, db_path: Path) -> None:
    forge(db_path, 6)
    rehash_from(db_path, 7)
    report = chain.audit.verify()
    assert report.first_bad_seq == 6
    assert any(f"entry {HEAD_SEQ} differs from the head recorded" in p for p in report.problems)


def test_a_forged_event_entry_without_its_event_is_found(chain: KioskStore, db_path: Path) -> None:
    forge(db_path, 6, kind="event.scan", subject="scan-99")
    rehash_from(db_path, 7)
    report = chain.audit.verify()
    assert report.first_bad_seq == 6
    assert any("event scan-99 of audit entry 6 was deleted from the event table" in p for p in report.problems)


def test_the_end_cut_off_is_caught_by_the_anchor_and_by_the_events(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq > ?", (HEAD_SEQ - 2,))
    report = chain.audit.verify()
    assert report.first_bad_seq == HEAD_SEQ - 1
    assert any(f"it ends at entry {HEAD_SEQ - 2}, but entry {HEAD_SEQ} was written" in p for p in report.problems)
    assert any(f"has no audit entry {HEAD_SEQ - 1} (cut off?)" in p for p in report.problems)
    assert any(f"has no audit entry {HEAD_SEQ} (cut off?)" in p for p in report.problems)


def test_the_end_cut_off_is_caught_by_the_events_without_the_anchor(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq > ?", (HEAD_SEQ - 2,))
    chain.anchor_path.unlink()
    report = chain.audit.verify()
    assert report.first_bad_seq == HEAD_SEQ - 1
    assert any("cut off?" in p for p in report.problems)
    assert any("audit head file" in p and "is missing" in p for p in report.problems)
    assert all("cut off?" in p or "audit head file" in p for p in report.problems)


def test_a_missing_anchor_file_is_reported(chain: KioskStore) -> None:
    chain.anchor_path.unlink()
    report = chain.audit.verify()
    assert not report.ok
    assert report.problems == [report.problems[0]] and "is missing" in report.problems[0]


def test_the_end_cut_off_with_its_events_is_caught_by_the_anchor(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq > ?", (HEAD_SEQ - 2,))
    raw_sql(db_path, "DELETE FROM scan_events WHERE audit_seq > ?", (HEAD_SEQ - 2,))
    raw_sql(db_path, "DELETE FROM outbox WHERE event_uuid IN ('scan-07', 'scan-08')")
    report = chain.audit.verify()
    assert report.problems == [
        f"the chain was cut off: it ends at entry {HEAD_SEQ - 2}, but entry {HEAD_SEQ} was written"
    ]
    assert report.first_bad_seq == HEAD_SEQ - 1


# --- the scan events the chain covers ------------------------------------------------------------------


def test_an_event_edited_by_hand_is_found(chain: KioskStore, db_path: Path) -> None:
    row = chain.decisions.event("scan-02")  # UNKNOWN_CODE: a DENY
    assert row is not None
    assert row["verdict"] == Verdict.DENY
    raw_sql(
        db_path, "UPDATE scan_events SET verdict = 'ADMIT', reason = 'OK', persons = 1 WHERE event_uuid = 'scan-02'"
    )
    report = chain.audit.verify()
    assert report.problems == ["event scan-02 was edited after it was recorded"]
    assert report.first_bad_seq == row["audit_seq"]


@pytest.mark.parametrize(
    "change",
    [
        "occurred_at = replace(occurred_at, '03:15', '03:14')",
        "gate = 'G9'",
        "booking_ref = NULL",
        "code_hash = zeroblob(32)",
        "facts = '{}'",
        "service_date = '2026-12-08'",
        "kiosk_id = 'KIOSK-8'",
    ],
)
def test_any_edited_event_column_is_found(chain: KioskStore, db_path: Path, change: str) -> None:
    raw_sql(db_path, f"UPDATE scan_events SET {change} WHERE event_uuid = 'scan-03'")
    assert chain.audit.verify().problems == ["event scan-03 was edited after it was recorded"]


def test_an_event_relinked_to_another_entry_is_found(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "UPDATE scan_events SET audit_seq = 4 WHERE event_uuid = 'scan-03'")
    assert "event scan-03 was edited after it was recorded" in problems_text(chain)


def test_a_deleted_event_is_found(chain: KioskStore, db_path: Path) -> None:
    raw_sql(db_path, "DELETE FROM scan_events WHERE event_uuid = 'scan-01'")
    report = chain.audit.verify()
    assert report.problems == [f"event scan-01 of audit entry {FIRST_SCAN_SEQ} was deleted from the event table"]
    assert report.first_bad_seq == FIRST_SCAN_SEQ


# --- privacy -------------------------------------------------------------------------------------------


def test_no_names_or_nik_digits_in_the_audit_log(chain: KioskStore, db_path: Path) -> None:
    chain.guards.add("Petugas Andi", "482913", NOW)
    rows = raw_sql(db_path, "SELECT seq, at, kind, subject, digest, prev_hash, hash FROM audit_log")
    dump = json.dumps(rows)
    assert len(rows) == HEAD_SEQ + 1
    for booking in BOOKINGS.values():
        for word in booking.display_name.split():
            assert word.lower() not in dump.lower()
        assert booking.nik_last4 not in dump
        assert booking.booking_ref not in dump
    assert "Andi" not in dump
    assert set(NAMES) and set(NIKS)
    # and the columns that could carry text carry only ids, kinds, times and hex digests
    for _seq, at, kind, subject, digest, prev_hash, value in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", at)
        assert re.fullmatch(r"[a-z.]+", kind)
        assert re.fullmatch(r"scan-\d\d|office|bookings:\d+|guard:\d+", subject)
        for hexdigest in (digest, prev_hash, value):
            assert re.fullmatch(r"[0-9a-f]{64}", hexdigest)


# --- the anchor only moves forward ---------------------------------------------------------------------


def test_the_anchor_does_not_move_back_or_sideways(chain: KioskStore, db_path: Path) -> None:
    head = chain.audit.head()
    with chain.reading() as connection:
        assert audit.anchor_blocker(connection, None, head) is None
        assert audit.anchor_blocker(connection, audit.Head(-1, "unreadable"), head) is None
        assert audit.anchor_blocker(connection, audit.Head(0, audit.GENESIS), head) is None
        assert audit.anchor_blocker(connection, audit.Head(4, str(entry(db_path, 4)["hash"])), head) is None
        assert audit.anchor_blocker(connection, head, head) is None
        ahead = audit.anchor_blocker(connection, audit.Head(head.seq + 5, "ab" * 32), head)
        assert ahead is not None and "already records entry" in ahead
        other = audit.anchor_blocker(connection, audit.Head(4, "ab" * 32), head)
        assert other is not None and "no longer matches" in other


def test_write_anchor_leaves_no_temporary_files(chain: KioskStore, db_path: Path) -> None:
    audit.write_anchor(chain.anchor_path, chain.audit.head())
    assert sorted(p.name for p in db_path.parent.iterdir() if "audit-head" in p.name) == [chain.anchor_path.name]


# --- entries the server could not anchor -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("subject", "s" * 129), ("subject", "a\x00b"), ("at", "2026-12-06T10:00:00+00:00" + "0" * 20), ("kind", "Event")],
)
def test_an_entry_the_server_cannot_take_is_named_even_with_the_chain_recomputed(
    chain: KioskStore, db_path: Path, column: str, value: str
) -> None:
    """Such an entry stops the upload of the chain there (the server records it broken): verify names
    it here too, recomputed or not."""
    raw_sql(db_path, f"UPDATE audit_log SET {column} = ? WHERE seq = ?", (value, HEAD_SEQ))
    rehash_from(db_path, HEAD_SEQ)
    chain.anchor_path.write_text(json.dumps({"seq": HEAD_SEQ, "hash": entry(db_path, HEAD_SEQ)["hash"]}), "ascii")
    assert f"entry {HEAD_SEQ} can never be anchored at the server" in problems_text(chain)


def test_append_refuses_an_entry_the_server_could_not_take(store: KioskStore) -> None:
    with store.writing() as connection, pytest.raises(ValueError, match="refused"):
        audit.append(connection, NOW.isoformat(), "guard.login", "x" * 129, "0" * 64)


@pytest.mark.parametrize(
    ("kind", "subject", "at"),
    [
        ("a" * 32, "s" * 128, "t" * 40),
        ("a" * 33, "s", "t"),
        ("event.scan", "s" * 129, "t"),
        ("event.scan", "s", "t" * 41),
        ("event.scan", "tab\there", "t"),
        ("event.scan", "del\x7f", "t"),
        ("Event", "s", "t"),
        ("9event", "s", "t"),
        ("event-scan", "s", "t"),
    ],
)
def test_the_local_bounds_are_the_wires(kind: str, subject: str, at: str) -> None:
    """audit.unsendable() and the wire's WireAuditEntry agree on what can be anchored."""
    from kiosk.protocol.schema import WireAuditEntry

    fields = {"seq": 5, "at": at, "kind": kind, "subject": subject, "digest": "0" * 64, "prev_hash": "0" * 64}
    try:
        WireAuditEntry.model_validate({**fields, "hash": "0" * 64})
        wire_ok = True
    except ValueError:
        wire_ok = False
    assert (audit.unsendable(5, at, kind, subject) is None) is wire_ok
