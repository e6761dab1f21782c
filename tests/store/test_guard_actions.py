"""Guard actions go down the scan's path (event + outbox + audit in one transaction), the first
resolving action on a scan wins, notes are cleaned, logins are counted (kiosk/store/guard_actions.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.model import Reason
from kiosk.store import guard_actions
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import (
    ActionError,
    ActionKind,
    AlreadyResolvedError,
    LoginOutcome,
    OverrideReason,
    clean_note,
)
from kiosk.store.schema import AuditRow, OutboxRow, ScanEventRow
from tests.store.scans import LATER, rows, scan
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


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db") as opened:
        yield opened


# --- overrides --------------------------------------------------------------------------------------


def test_override_writes_event_outbox_and_audit_entry_in_the_chain(store: KioskStore) -> None:
    denied = scan(store, "MPTOOEARLY01")
    agus = guard_id(store, GUARD_A)
    outbox_before, head_before = store.decisions.outbox_size(), store.audit.head().seq

    result = guard_actions.override(store, denied, agus, OverrideReason.ID_CHECKED, LATER, note="KTP cocok")

    event = store.decisions.event(result.event_uuid)
    assert event is not None
    assert (event["kind"], event["guard_id"], event["ref_event"], event["note"]) == (
        "override",
        agus,
        denied,
        "KTP cocok",
    )
    assert (event["verdict"], event["reason"], event["persons"]) == ("ADMIT", "ID_CHECKED", 1)
    assert json.loads(str(event["facts"]))["ref_reason"] == Reason.TOO_EARLY.value
    assert store.decisions.outbox_size() == outbox_before + 1
    outbox = [r for r in rows(store, OutboxRow) if r["event_uuid"] == result.event_uuid]
    assert json.loads(str(outbox[0]["body"]))["kind"] == "override"
    assert store.audit.head().seq == head_before + 1 == result.audit_seq
    audit = [r for r in rows(store, AuditRow) if r["subject"] == result.event_uuid]
    assert audit[0]["kind"] == "event.override"
    assert store.audit.verify().ok


def test_override_counts_as_an_entry_so_the_code_cannot_be_used_again(store: KioskStore) -> None:
    denied = scan(store, "MPTOOEARLY01")
    guard_actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.SPECIAL_RESCHEDULE, LATER)
    again = store.decisions.record(presentation("MPTOOEARLY01"), LATER + dt.timedelta(minutes=5))
    assert again.decision.reason is Reason.ALREADY_ADMITTED
    assert again.decision.facts["first_entry_gate"] == "G1"


def test_override_admits_the_rest_of_the_party_by_default(store: KioskStore) -> None:
    store.decisions.record(presentation(PARTY_CODE), NOW)  # ADMIT 3
    second = scan(store, PARTY_CODE, LATER)  # ALREADY_ADMITTED
    result = guard_actions.override(store, second, guard_id(store, GUARD_A), OverrideReason.ID_CHECKED, LATER)
    assert result.persons == 1  # nobody left on the booking: a second use admits one person
    unknown = scan(store, UNKNOWN_CODE)
    assert (
        guard_actions.override(store, unknown, guard_id(store, GUARD_A), "LOST_PASSPORT", LATER, persons=2).persons == 2
    )


@pytest.mark.parametrize("note", ["", "   ", "ok", "\u202e\u200b\x00"])
def test_override_for_another_reason_needs_a_description(store: KioskStore, note: str) -> None:
    denied = scan(store, UNKNOWN_CODE)
    head = store.audit.head()
    with pytest.raises(ActionError, match="needs a description"):
        guard_actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note=note)
    assert store.audit.head() == head  # nothing written


def test_override_reason_must_come_from_the_closed_list(store: KioskStore) -> None:
    denied = scan(store, UNKNOWN_CODE)
    with pytest.raises(ActionError, match="not an override reason"):
        guard_actions.override(store, denied, guard_id(store, GUARD_A), "BECAUSE_I_SAID_SO", LATER)
    with pytest.raises(ActionError, match="1 to 5 people"):
        guard_actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.ID_CHECKED, LATER, persons=9)
    guard_actions.override(
        store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note="Kepala kantor setuju"
    )


def test_actions_only_on_denied_or_referred_scans_by_active_guards(store: KioskStore) -> None:
    admitted = scan(store, ADMIT_CODE)
    denied = scan(store, UNKNOWN_CODE)
    agus = guard_id(store, GUARD_A)
    with pytest.raises(ActionError, match="admitted"):
        guard_actions.dismiss(store, admitted, agus, LATER)
    assert guard_actions.add_note(store, admitted, agus, "code typed in by the guard", LATER).kind is ActionKind.NOTE
    with pytest.raises(ActionError, match="no such scan"):
        guard_actions.acknowledge(store, "00000000-0000-0000-0000-000000000000", agus, LATER)
    with pytest.raises(ActionError, match="unknown guard"):
        guard_actions.acknowledge(store, denied, 999, LATER)
    note = guard_actions.add_note(store, denied, agus, "dilihat", LATER)
    with pytest.raises(ActionError, match="not to another action"):
        guard_actions.dismiss(store, note.event_uuid, agus, LATER)
    store.guards.set_active(GUARD_B, False, NOW)
    with pytest.raises(ActionError, match="disabled"):
        guard_actions.dismiss(store, denied, guard_id(store, GUARD_B), LATER)


# --- two guards, one scan ---------------------------------------------------------------------------


def test_second_resolving_action_on_a_scan_fails_and_names_the_first(store: KioskStore) -> None:
    denied = scan(store, UNKNOWN_CODE)
    agus, budi = guard_id(store, GUARD_A), guard_id(store, GUARD_B)
    guard_actions.dismiss(store, denied, agus, LATER)
    head = store.audit.head()
    with pytest.raises(AlreadyResolvedError, match=f"dismiss.*{GUARD_A}") as caught:
        guard_actions.override(store, denied, budi, OverrideReason.ID_CHECKED, LATER)
    assert caught.value.guard_name == GUARD_A
    with pytest.raises(AlreadyResolvedError):
        guard_actions.acknowledge(store, denied, agus, LATER)  # the same guard twice: still one resolution
    assert store.audit.head() == head
    guard_actions.add_note(store, denied, budi, "Pemohon kembali besok", LATER)  # notes are always allowed


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
                guard_actions.override(own, denied, gid, OverrideReason.ID_CHECKED, LATER)
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
        assert store.audit.verify().ok


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
    assert len(clean_note("x" * 5000)) == guard_actions.MAX_NOTE_CHARS
    assert clean_note("x" * 5000).endswith("…")
    denied = scan(store, UNKNOWN_CODE)
    result = guard_actions.add_note(store, denied, guard_id(store, GUARD_A), "catatan " * 1000, LATER)
    event = store.decisions.event(result.event_uuid)
    assert event is not None and len(str(event["note"])) == guard_actions.MAX_NOTE_CHARS
    with pytest.raises(ActionError, match="needs some text"):
        guard_actions.add_note(store, denied, guard_id(store, GUARD_A), "\x00\u200b ", LATER)


# --- the queue --------------------------------------------------------------------------------------


def test_login_counts_wrong_pins_and_locks_out_after_five(store: KioskStore) -> None:
    assert guard_actions.login(store, GUARD_A, PIN_A, NOW).outcome is LoginOutcome.OK
    results = [guard_actions.login(store, GUARD_A, "999999", NOW) for _ in range(5)]
    assert [r.outcome for r in results] == [LoginOutcome.WRONG_PIN] * 4 + [LoginOutcome.LOCKED]
    assert [r.tries_left for r in results[:4]] == [4, 3, 2, 1]
    locked = guard_actions.login(store, GUARD_A, PIN_A, NOW + dt.timedelta(minutes=1))
    assert locked.outcome is LoginOutcome.LOCKED and locked.locked_until is not None
    assert guard_actions.login(store, GUARD_A, PIN_A, NOW + dt.timedelta(minutes=6)).outcome is LoginOutcome.OK
    assert guard_actions.login(store, "Nobody", PIN_A, NOW).outcome is LoginOutcome.UNKNOWN
