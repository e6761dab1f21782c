"""Decide and record in one transaction: the event, its outbox row and its audit entry, all or nothing;
entries are counted inside the write lock, so even two processes never admit more than the party."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.domain.model import OfficeRules, PartyAdmission, Reason, ReentryPolicy, Verdict
from kiosk.store import audit
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.recorder import new_event_row
from kiosk.store.schema import ScanEventRow
from kiosk.store.settings import RULES_KEY
from tests.store.conftest import (
    CANCELLED_CODE,
    CODE,
    FAMILY_CODE,
    IDENTITY,
    NOW,
    OFFICE,
    OTHER_OFFICE_CODE,
    PRIORITY_CODE,
    RULES,
    TOMORROW_CODE,
    UNKNOWN_CODE,
    new_store,
    present,
    raw_script,
    raw_sql,
    table_counts,
)

WRITER = Path(__file__).with_name("crash_writer.py")
PER_PERSON = dataclasses.replace(RULES, party_admission=PartyAdmission.PER_PERSON)


# --- what one scan writes ------------------------------------------------------------------------------


def test_a_scan_writes_event_outbox_row_and_audit_entry(store: KioskStore, db_path: Path) -> None:
    before = table_counts(db_path)
    recorded = store.decisions.record(
        present(CODE), NOW, source="camera", event_uuid="11111111-2222-3333-4444-555555555555"
    )
    assert recorded.event_uuid == "11111111-2222-3333-4444-555555555555"
    assert (recorded.decision.verdict, recorded.decision.persons) == (Verdict.ADMIT, 1)
    assert recorded.occurred_at == NOW
    after = table_counts(db_path)
    assert {k: after[k] - before[k] for k in after} == {
        "scan_events": 1, "outbox": 1, "audit_log": 1, "bookings": 0, "guards": 0
    }  # fmt: skip
    event = store.decisions.event(recorded.event_uuid)
    assert event is not None
    assert event["kind"] == "scan"
    assert (event["kiosk_id"], event["gate"]) == (IDENTITY.kiosk_id, IDENTITY.gate)
    assert (event["booking_ref"], event["code_masked"], event["service_date"]) == (
        "B-0001",
        "MP********M9",
        "2026-12-07",
    )
    assert (event["verdict"], event["reason"], event["persons"]) == ("ADMIT", "OK", 1)
    assert event["occurred_at"] == "2026-12-07T03:15:00.000000+00:00"
    assert json.loads(event["facts"])["source"] == "camera"
    assert event["audit_seq"] == recorded.audit_seq
    (body,) = raw_sql(db_path, "SELECT body FROM outbox WHERE event_uuid = ?", (recorded.event_uuid,))[0]
    uploaded = json.loads(body)
    assert uploaded["office_code"] == OFFICE
    assert (uploaded["audit_seq"], uploaded["audit_hash"]) == (recorded.audit_seq, recorded.audit_hash)
    assert "code_hash" not in uploaded  # the keyed hash stays on the kiosk
    head = store.audit.head()
    assert (head.seq, head.hash) == (recorded.audit_seq, recorded.audit_hash)
    assert audit.read_anchor(store.anchor_path) == head  # moved after the commit
    assert store.audit.verify().ok


def test_one_place_builds_an_event_row_with_every_column_but_the_row_id_and_audit_seq() -> None:
    row = new_event_row(
        IDENTITY,
        event_uuid="11111111-2222-3333-4444-555555555555",
        now=NOW,
        kind="note",
        booking_ref=None,
        code_hash=None,
        code_masked="",
        payload_kind="text",
        verdict="REFER",
        reason="OTHER",
        persons=0,
        service_date=None,
        facts={"source": "guard", "a": "1"},
    )
    assert set(row) == {column.name for column in ScanEventRow.__table__.columns} - {"id", "audit_seq"}
    assert (row["kiosk_id"], row["gate"]) == (IDENTITY.kiosk_id, IDENTITY.gate)
    assert row["occurred_at"] == "2026-12-07T03:15:00.000000+00:00"
    assert row["facts"] == '{"a": "1", "source": "guard"}'


def test_the_event_is_committed_when_record_returns(store: KioskStore, db_path: Path) -> None:
    recorded = store.decisions.record(present(CODE), NOW)
    # another connection (another program) sees it at once: it is committed, not pending
    assert raw_sql(db_path, "SELECT verdict FROM scan_events WHERE event_uuid = ?", (recorded.event_uuid,)) == [
        ("ADMIT",)
    ]


@pytest.mark.parametrize(
    ("code", "verdict", "reason"),
    [
        (CODE, Verdict.ADMIT, Reason.OK),
        (UNKNOWN_CODE, Verdict.DENY, Reason.UNKNOWN_CODE),
        (CANCELLED_CODE, Verdict.DENY, Reason.CANCELLED),
        (TOMORROW_CODE, Verdict.DENY, Reason.WRONG_DAY),
        (OTHER_OFFICE_CODE, Verdict.DENY, Reason.WRONG_OFFICE),
        (PRIORITY_CODE, Verdict.REFER, Reason.NEEDS_OFFICER),
        ("https://example.com/MP7KQ2XAT3M9", Verdict.DENY, Reason.NOT_A_BOOKING),
    ],
)
def test_every_outcome_is_recorded(store: KioskStore, code: str, verdict: Verdict, reason: Reason) -> None:
    recorded = store.decisions.record(present(code), NOW)
    assert (recorded.decision.verdict, recorded.decision.reason) == (verdict, reason)
    event = store.decisions.event(recorded.event_uuid)
    assert event is not None
    assert (event["verdict"], event["reason"]) == (verdict.value, reason.value)
    assert event["persons"] == (1 if verdict is Verdict.ADMIT else 0)
    assert (event["code_hash"] is None) == (reason is Reason.NOT_A_BOOKING)
    assert store.audit.verify().ok


def test_record_and_decide_only_agree(store: KioskStore) -> None:
    for code in (CODE, UNKNOWN_CODE, CANCELLED_CODE, PRIORITY_CODE, FAMILY_CODE):
        preview = store.decisions.decide_only(present(code), NOW)
        assert store.decisions.record(present(code), NOW).decision == preview


def test_decide_only_writes_nothing(store: KioskStore, db_path: Path) -> None:
    before = table_counts(db_path)
    for _ in range(3):
        assert store.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT
    assert table_counts(db_path) == before


# --- one transaction -----------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["outbox", "scan_events", "audit_log"])
def test_a_failed_insert_leaves_nothing_behind(store: KioskStore, db_path: Path, table: str) -> None:
    store.decisions.record(present(UNKNOWN_CODE), NOW)
    raw_script(db_path, f"CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END;")
    before, head = table_counts(db_path), store.audit.head()
    anchor = audit.read_anchor(store.anchor_path)
    with pytest.raises(StoreError, match="refused"):
        store.decisions.record(present(CODE), NOW, event_uuid="never-written")
    assert table_counts(db_path) == before
    assert store.decisions.event("never-written") is None
    assert store.audit.head() == head
    assert audit.read_anchor(store.anchor_path) == anchor
    assert store.audit.verify().ok
    raw_script(db_path, "DROP TRIGGER refuse;")
    # and the failed attempt did not use up the entry
    assert store.decisions.record(present(CODE), NOW).decision.verdict is Verdict.ADMIT


def test_a_reused_event_uuid_is_refused_and_nothing_is_written(store: KioskStore, db_path: Path) -> None:
    store.decisions.record(present(UNKNOWN_CODE), NOW, event_uuid="same-uuid")
    before = table_counts(db_path)
    with pytest.raises(StoreError, match="UNIQUE constraint failed"):
        store.decisions.record(present(CODE), NOW, event_uuid="same-uuid")
    assert table_counts(db_path) == before


def test_invalid_stored_rules_stop_the_kiosk_instead_of_deciding(store: KioskStore, db_path: Path) -> None:
    raw_sql(
        db_path,
        'UPDATE settings SET value = \'{"office_code": "X", "early_minutes": "lots"}\' WHERE key = ?',
        (RULES_KEY,),
    )
    before = table_counts(db_path)
    with pytest.raises(StoreError, match="stored office settings are invalid"):
        store.decisions.record(present(CODE), NOW)
    with pytest.raises(StoreError, match="stored office settings are invalid"):
        store.decisions.decide_only(present(CODE), NOW)
    assert table_counts(db_path) == before


# --- entries and the party size ------------------------------------------------------------------------


def test_a_whole_party_is_admitted_once(store: KioskStore) -> None:
    first = store.decisions.record(present(FAMILY_CODE), NOW)
    assert (first.decision.verdict, first.decision.persons) == (Verdict.ADMIT, 3)
    second = store.decisions.record(present(FAMILY_CODE), NOW + dt.timedelta(minutes=1))
    assert (second.decision.reason, second.decision.persons) == (Reason.ALREADY_ADMITTED, 0)
    assert second.decision.facts["first_entry_time"] == "10.15"
    assert second.decision.facts["first_entry_gate"] == IDENTITY.gate


def test_a_party_admitted_person_by_person_uses_up_its_size(db_path: Path) -> None:
    with new_store(db_path, PER_PERSON) as store:
        outcomes = [
            store.decisions.record(present(FAMILY_CODE), NOW + dt.timedelta(minutes=i)).decision for i in range(5)
        ]
    assert [(d.verdict, d.persons) for d in outcomes] == [
        (Verdict.ADMIT, 1), (Verdict.ADMIT, 1), (Verdict.ADMIT, 1), (Verdict.DENY, 0), (Verdict.DENY, 0)
    ]  # fmt: skip
    assert outcomes[3].reason is Reason.ALREADY_ADMITTED
    assert outcomes[3].facts["used"] == "3"


def test_entries_survive_a_reopen(store: KioskStore, db_path: Path) -> None:
    store.decisions.record(present(CODE), NOW)
    store.close()
    with KioskStore.open(db_path) as again:
        assert again.decisions.decide_only(present(CODE), NOW).reason is Reason.ALREADY_ADMITTED


def test_denied_scans_are_not_entries(store: KioskStore) -> None:
    early = NOW.replace(hour=8)
    assert store.decisions.record(present(CODE), early).decision.reason is Reason.TOO_EARLY
    assert store.decisions.record(present(CODE), NOW).decision.verdict is Verdict.ADMIT


def test_reentry_within_the_window_admits_again(db_path: Path) -> None:
    rules = dataclasses.replace(RULES, reentry=ReentryPolicy.WITHIN_WINDOW)
    with new_store(db_path, rules) as store:
        assert store.decisions.record(present(CODE), NOW).decision.verdict is Verdict.ADMIT
        assert store.decisions.record(present(CODE), NOW + dt.timedelta(minutes=20)).decision.verdict is Verdict.ADMIT


# --- two processes, one code ---------------------------------------------------------------------------


def start_racer(db_path: Path, code: str, count: int, go: Path) -> subprocess.Popen[str]:
    command = [sys.executable, str(WRITER), "--db", str(db_path), "--now", NOW.isoformat()]
    command += ["same", "--code", code, "--count", str(count), "--go", str(go)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("rules", [RULES, PER_PERSON], ids=["whole-party", "per-person"])
def test_two_processes_never_admit_more_than_the_party(tmp_path: Path, rules: OfficeRules) -> None:
    db_path = tmp_path / "race.db"
    new_store(db_path, rules).close()
    go = tmp_path / "go"
    racers = [start_racer(db_path, FAMILY_CODE, 6, go) for _ in range(2)]
    try:
        for racer in racers:  # both open before either starts, so they really race
            assert racer.stdout is not None
            assert racer.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [racer.communicate(timeout=60) for racer in racers]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait()
    assert [racer.returncode for racer in racers] == [0, 0], [err for _, err in outputs]
    decisions = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    assert len(decisions) == 12
    admitted = [d for d in decisions if d["verdict"] == "ADMIT"]
    assert sum(d["persons"] for d in admitted) == 3
    assert all(d["reason"] == "ALREADY_ADMITTED" for d in decisions if d["verdict"] != "ADMIT")
    assert raw_sql(db_path, "SELECT sum(persons) FROM scan_events WHERE booking_ref = 'B-0002'") == [(3,)]
    with KioskStore.open(db_path) as store:
        assert store.audit.verify().ok
        assert store.decisions.outbox_size() == 12
