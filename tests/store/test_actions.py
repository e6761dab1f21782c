"""Guard actions go down the scan's path (event + outbox + audit in one transaction), the first
resolving action on a scan wins, notes are cleaned, and the queue, statistics and report read right."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.domain.model import Reason, Verdict
from kiosk.store import actions
from kiosk.store.actions import (
    ActionError,
    ActionKind,
    AlreadyResolvedError,
    LoginOutcome,
    OverrideReason,
    clean_note,
)
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow, OutboxRow, ScanEventRow
from tests.ui.fixtures import (
    ADMIT_CODE,
    GUARD_A,
    GUARD_B,
    NOW,
    PARTY_CODE,
    PIN_A,
    UNKNOWN_CODE,
    guard_id,
    make_store,
    presentation,
)

LATER = NOW + dt.timedelta(minutes=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db") as opened:
        yield opened


def scan(store: KioskStore, code: str, at: dt.datetime = NOW) -> str:
    return store.record(presentation(code), at).event_uuid


def rows(store: KioskStore, table: type) -> list[dict[str, object]]:
    with store.reading() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table))]


# --- overrides --------------------------------------------------------------------------------------


def test_override_writes_event_outbox_and_audit_entry_in_the_chain(store: KioskStore) -> None:
    denied = scan(store, "MPTOOEARLY01")
    agus = guard_id(store, GUARD_A)
    outbox_before, head_before = store.outbox_size(), store.audit_head().seq

    result = actions.override(store, denied, agus, OverrideReason.ID_CHECKED, LATER, note="KTP cocok")

    event = store.event(result.event_uuid)
    assert event is not None
    assert (event["kind"], event["guard_id"], event["ref_event"], event["note"]) == (
        "override",
        agus,
        denied,
        "KTP cocok",
    )
    assert (event["verdict"], event["reason"], event["persons"]) == ("ADMIT", "ID_CHECKED", 1)
    assert json.loads(str(event["facts"]))["ref_reason"] == Reason.TOO_EARLY.value
    assert store.outbox_size() == outbox_before + 1
    outbox = [r for r in rows(store, OutboxRow) if r["event_uuid"] == result.event_uuid]
    assert json.loads(str(outbox[0]["body"]))["kind"] == "override"
    assert store.audit_head().seq == head_before + 1 == result.audit_seq
    audit = [r for r in rows(store, AuditRow) if r["subject"] == result.event_uuid]
    assert audit[0]["kind"] == "event.override"
    assert store.verify_audit().ok


def test_override_counts_as_an_entry_so_the_code_cannot_be_used_again(store: KioskStore) -> None:
    denied = scan(store, "MPTOOEARLY01")
    actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.SPECIAL_RESCHEDULE, LATER)
    again = store.record(presentation("MPTOOEARLY01"), LATER + dt.timedelta(minutes=5))
    assert again.decision.reason is Reason.ALREADY_ADMITTED
    assert again.decision.facts["first_entry_gate"] == "G1"


def test_override_admits_the_rest_of_the_party_by_default(store: KioskStore) -> None:
    store.record(presentation(PARTY_CODE), NOW)  # ADMIT 3
    second = scan(store, PARTY_CODE, LATER)  # ALREADY_ADMITTED
    result = actions.override(store, second, guard_id(store, GUARD_A), OverrideReason.ID_CHECKED, LATER)
    assert result.persons == 1  # nobody left on the booking: a second use admits one person
    unknown = scan(store, UNKNOWN_CODE)
    assert actions.override(store, unknown, guard_id(store, GUARD_A), "LOST_PASSPORT", LATER, persons=2).persons == 2


@pytest.mark.parametrize("note", ["", "   ", "ok", "\u202e\u200b\x00"])
def test_override_for_another_reason_needs_a_description(store: KioskStore, note: str) -> None:
    denied = scan(store, UNKNOWN_CODE)
    head = store.audit_head()
    with pytest.raises(ActionError, match="needs a description"):
        actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note=note)
    assert store.audit_head() == head  # nothing written


def test_override_reason_must_come_from_the_closed_list(store: KioskStore) -> None:
    denied = scan(store, UNKNOWN_CODE)
    with pytest.raises(ActionError, match="not an override reason"):
        actions.override(store, denied, guard_id(store, GUARD_A), "BECAUSE_I_SAID_SO", LATER)
    with pytest.raises(ActionError, match="1 to 5 people"):
        actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.ID_CHECKED, LATER, persons=9)
    actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note="Kepala kantor setuju")


def test_actions_only_on_denied_or_referred_scans_by_active_guards(store: KioskStore) -> None:
    admitted = scan(store, ADMIT_CODE)
    denied = scan(store, UNKNOWN_CODE)
    agus = guard_id(store, GUARD_A)
    with pytest.raises(ActionError, match="admitted"):
        actions.dismiss(store, admitted, agus, LATER)
    assert actions.add_note(store, admitted, agus, "code typed in by the guard", LATER).kind is ActionKind.NOTE
    with pytest.raises(ActionError, match="no such scan"):
        actions.acknowledge(store, "00000000-0000-0000-0000-000000000000", agus, LATER)
    with pytest.raises(ActionError, match="unknown guard"):
        actions.acknowledge(store, denied, 999, LATER)
    note = actions.add_note(store, denied, agus, "dilihat", LATER)
    with pytest.raises(ActionError, match="not to another action"):
        actions.dismiss(store, note.event_uuid, agus, LATER)
    store.set_guard_active(GUARD_B, False, NOW)
    with pytest.raises(ActionError, match="disabled"):
        actions.dismiss(store, denied, guard_id(store, GUARD_B), LATER)


# --- two guards, one scan ---------------------------------------------------------------------------


def test_second_resolving_action_on_a_scan_fails_and_names_the_first(store: KioskStore) -> None:
    denied = scan(store, UNKNOWN_CODE)
    agus, budi = guard_id(store, GUARD_A), guard_id(store, GUARD_B)
    actions.dismiss(store, denied, agus, LATER)
    head = store.audit_head()
    with pytest.raises(AlreadyResolvedError, match=f"dismiss.*{GUARD_A}") as caught:
        actions.override(store, denied, budi, OverrideReason.ID_CHECKED, LATER)
    assert caught.value.guard_name == GUARD_A
    with pytest.raises(AlreadyResolvedError):
        actions.acknowledge(store, denied, agus, LATER)  # the same guard twice: still one resolution
    assert store.audit_head() == head
    actions.add_note(store, denied, budi, "Pemohon kembali besok", LATER)  # notes are always allowed


def test_two_guards_at_the_same_moment_only_one_succeeds(tmp_path: Path) -> None:
    """Two connections race for one scan; BEGIN IMMEDIATE serialises them and the loser sees the winner."""
    path = tmp_path / "kiosk.db"
    with make_store(path) as store:
        denied = scan(store, UNKNOWN_CODE)
        ids = (guard_id(store, GUARD_A), guard_id(store, GUARD_B))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def act(gid: int) -> None:
        with KioskStore.open(path) as own:
            start.wait()
            try:
                actions.override(own, denied, gid, OverrideReason.ID_CHECKED, LATER)
                outcomes.append("ok")
            except AlreadyResolvedError:
                outcomes.append("refused")

    threads = [threading.Thread(target=act, args=(gid,)) for gid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    with KioskStore.open(path) as store:
        overrides = [r for r in rows(store, ScanEventRow) if r["kind"] == "override"]
        assert len(overrides) == 1
        assert store.verify_audit().ok


# --- notes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  KTP  cocok\r\n\tdengan  foto ", "KTP cocok dengan foto"),
        ("<b>bold</b> & <script>x()</script>", "‹b›bold‹/b› + ‹script›x()‹/script›"),
        ("a\x00b\x1bc\x7fd", "abcd"),
        ("\u202eevil\u202c zero\u200bwidth\ufeff", "evil zerowidth"),
        ("line\u2028sep", "line sep"),
        ('=HYPERLINK("http://x")', '=HYPERLINK("http://x")'),  # kept; the CSV export neutralises it
    ],
)
def test_notes_are_cleaned(raw: str, stored: str) -> None:
    assert clean_note(raw) == stored


def test_long_notes_are_cut_and_marked(store: KioskStore) -> None:
    assert len(clean_note("x" * 5000)) == actions.MAX_NOTE_CHARS
    assert clean_note("x" * 5000).endswith("…")
    denied = scan(store, UNKNOWN_CODE)
    result = actions.add_note(store, denied, guard_id(store, GUARD_A), "catatan " * 1000, LATER)
    event = store.event(result.event_uuid)
    assert event is not None and len(str(event["note"])) == actions.MAX_NOTE_CHARS
    with pytest.raises(ActionError, match="needs some text"):
        actions.add_note(store, denied, guard_id(store, GUARD_A), "\x00\u200b ", LATER)


# --- the queue --------------------------------------------------------------------------------------


def test_queue_lists_todays_denied_and_referred_scans_with_booking_details(store: KioskStore) -> None:
    scan(store, ADMIT_CODE)  # admitted: not in the queue
    scan(store, "MPTOOEARLY01", NOW - dt.timedelta(days=1))  # yesterday: not in the queue
    store.record(presentation(PARTY_CODE), NOW)
    used_twice = scan(store, PARTY_CODE, LATER)
    priority = scan(store, "MPPRIORITY01", LATER + dt.timedelta(seconds=5))
    unknown = scan(store, UNKNOWN_CODE, LATER + dt.timedelta(seconds=10))

    items = {item.event_uuid: item for item in actions.queue(store, LATER + dt.timedelta(minutes=1))}

    assert set(items) == {used_twice, priority, unknown}
    twice = items[used_twice]
    assert (twice.verdict, twice.reason) == (Verdict.DENY, Reason.ALREADY_ADMITTED.value)
    assert (twice.display_name, twice.nik_last4, twice.party_size) == ("Keluarga Santoso", "4412", 3)
    assert (twice.first_entry_time, twice.first_entry_gate) == ("10.45", "G1")
    assert twice.local_time == "10.46"
    assert twice.code_masked == "MP********M1"
    assert items[priority].verdict is Verdict.REFER and items[priority].category == "priority"
    assert items[unknown].display_name == "" and items[unknown].party_size is None


def test_queue_shows_open_scans_first_and_who_resolved_the_rest(store: KioskStore) -> None:
    first = scan(store, UNKNOWN_CODE)
    second = scan(store, "MPCANCEL0001", LATER)
    actions.override(store, second, guard_id(store, GUARD_B), OverrideReason.PRIORITY_ELDERLY, LATER, note="lansia")
    actions.add_note(store, first, guard_id(store, GUARD_A), "menunggu", LATER)
    items = actions.queue(store, LATER)
    assert [item.event_uuid for item in items] == [first, second]
    assert items[0].is_open and items[0].notes[0].text == "menunggu"
    resolution = items[1].resolution
    assert resolution is not None
    assert (resolution.kind, resolution.guard_name, resolution.reason) == (
        ActionKind.OVERRIDE,
        GUARD_B,
        "PRIORITY_ELDERLY",
    )
    assert items[1].notes[0].text == "lansia"


# --- statistics and the daily report ----------------------------------------------------------------


def test_daily_statistics_per_hour_reason_and_guard(store: KioskStore) -> None:
    scan(store, ADMIT_CODE)
    scan(store, PARTY_CODE)
    denied = scan(store, UNKNOWN_CODE)
    scan(store, "MPCANCEL0001", NOW + dt.timedelta(hours=1))
    scan(store, "MPPRIORITY01", NOW + dt.timedelta(hours=1))
    actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.LOST_PASSPORT, LATER)

    stats = actions.daily_stats(store, NOW)

    assert stats.per_hour[10][Verdict.ADMIT.value] == 2
    assert stats.per_hour[10][Verdict.DENY.value] == 1
    assert stats.per_hour[11][Verdict.DENY.value] == 1 and stats.per_hour[11][Verdict.REFER.value] == 1
    assert stats.per_reason == {"UNKNOWN_CODE": 1, "CANCELLED": 1, "NEEDS_OFFICER": 1}
    assert stats.overrides_per_guard == {GUARD_A: 1}
    assert stats.overrides_per_reason == {"LOST_PASSPORT": 1}
    assert stats.persons_admitted == 1 + 3 + 1
    assert (stats.total(Verdict.ADMIT), stats.total(Verdict.DENY), stats.total(Verdict.REFER)) == (2, 2, 1)


def test_daily_report_carries_the_override_and_no_applicant_names(store: KioskStore) -> None:
    denied = scan(store, "MPPRIORITY01")
    actions.override(
        store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note='=HYPERLINK("http://x","y")'
    )
    report = actions.daily_report(store, LATER)
    assert report.audit_ok and report.audit_head_seq == store.audit_head().seq
    [line] = report.actions
    assert (line.guard_name, line.kind, line.reason, line.ref_reason) == (GUARD_A, "override", "OTHER", "NEEDS_OFFICER")

    text = actions.report_csv(report)
    table = list(csv.reader(io.StringIO(text)))
    assert ["report", "audit_chain", "OK"] in table
    assert ["guard", "overrides"] in table and [GUARD_A, "1"] in table
    override_rows = [r for r in table if len(r) > 3 and r[2] == "override"]
    assert override_rows[0][10] == '\'=HYPERLINK("http://x","y")'  # a spreadsheet shows it, never runs it
    assert "Ibu Sumarni" not in text and "0921" not in text


# --- login ------------------------------------------------------------------------------------------


def test_login_counts_wrong_pins_and_locks_out_after_five(store: KioskStore) -> None:
    assert actions.login(store, GUARD_A, PIN_A, NOW).outcome is LoginOutcome.OK
    results = [actions.login(store, GUARD_A, "999999", NOW) for _ in range(5)]
    assert [r.outcome for r in results] == [LoginOutcome.WRONG_PIN] * 4 + [LoginOutcome.LOCKED]
    assert [r.tries_left for r in results[:4]] == [4, 3, 2, 1]
    locked = actions.login(store, GUARD_A, PIN_A, NOW + dt.timedelta(minutes=1))
    assert locked.outcome is LoginOutcome.LOCKED and locked.locked_until is not None
    assert actions.login(store, GUARD_A, PIN_A, NOW + dt.timedelta(minutes=6)).outcome is LoginOutcome.OK
    assert actions.login(store, "Nobody", PIN_A, NOW).outcome is LoginOutcome.UNKNOWN


def test_store_status_figures(store: KioskStore) -> None:
    scan(store, ADMIT_CODE)
    status = actions.store_status(store, NOW, verify=True)
    assert status.pending_uploads == store.outbox_size() == 1
    assert status.audit_ok is True and status.audit_head_seq == store.audit_head().seq
    assert status.data_age is None and status.last_sync is None  # standalone: imported data
    assert status.free_disk_bytes > 0 and status.bookings == 10
    assert status.bookings_lost is False
