"""Broker patterns where the scans are recorded: the recent scans come from the events on disk (an
alert survives a restart), each alert is a REFER in the guard's queue with its own audit entry, and the
statistics and the daily report count it by its reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from kiosk.domain.decide import Presentation
from kiosk.domain.explain import Lang
from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.patterns import PATTERN_OF
from kiosk.store import queue
from kiosk.store.db import KioskStore
from kiosk.store.reports import daily, daily_csv, daily_html, names
from kiosk.store.schema import AuditRow
from tests.store.conftest import CODE, NOW, RULES, TOMORROW_CODE, UNKNOWN_CODE, new_store, present

SECOND = dt.timedelta(seconds=1)


def unknown(n: int) -> str:
    return f"NOPE{n:04d}XA9Z"


def scan(store: KioskStore, text: str, at: dt.datetime, source: str = "camera") -> Decision:
    return store.decisions.record(present(text), at, source=source).decision


def alerts(store: KioskStore) -> list[tuple[str, str]]:
    with store.reading() as connection:
        rows = connection.execute(
            AuditRow.__table__.select().where(AuditRow.kind.like("alert.%")).order_by(AuditRow.seq)
        ).all()
    return [(row.kind, row.subject) for row in rows]


def test_the_fifth_bad_code_in_two_minutes_goes_to_the_officer(store: KioskStore) -> None:
    decisions = [scan(store, unknown(i), NOW + i * 10 * SECOND) for i in range(4)]
    decisions.append(scan(store, "https://example.org/", NOW + 40 * SECOND))
    assert [d.reason for d in decisions[:4]] == [Reason.UNKNOWN_CODE] * 4
    fifth = decisions[4]
    assert (fifth.verdict, fifth.reason, fifth.facts[PATTERN_OF]) == (Verdict.REFER, Reason.CODE_BURST, "NOT_A_BOOKING")
    assert fifth.facts["burst_count"] == "5"
    sixth = store.decisions.record(present(unknown(9)), NOW + 50 * SECOND, source="camera")
    assert sixth.decision.reason is Reason.CODE_BURST  # the burst goes on
    # a genuine booking in the middle of it still enters
    assert scan(store, CODE, NOW + 55 * SECOND).verdict is Verdict.ADMIT

    event = store.decisions.event(sixth.event_uuid)
    assert event is not None and (event["verdict"], event["reason"]) == ("REFER", "CODE_BURST")
    assert json.loads(event["facts"])[PATTERN_OF] == "UNKNOWN_CODE"
    assert [kind for kind, _ in alerts(store)] == ["alert.code_burst", "alert.code_burst"]
    assert alerts(store)[-1][1] == sixth.event_uuid
    assert store.audit.verify().ok  # the alert entries are part of the chain, the event's entry its head
    assert store.audit.head().seq == event["audit_seq"] + 1  # the ADMIT after it

    items = queue.queue(store, NOW + 60 * SECOND)
    referred = [item for item in items if item.reason == "CODE_BURST"]
    assert len(referred) == 2 and all(item.verdict is Verdict.REFER and item.is_open for item in referred)


def test_spread_out_bad_codes_are_no_burst(store: KioskStore) -> None:
    assert {scan(store, unknown(i), NOW + i * 35 * SECOND).reason for i in range(5)} == {Reason.UNKNOWN_CODE}
    assert alerts(store) == []


def test_a_burst_survives_a_restart(db_path: Path) -> None:
    """The recent scans are read from the events on disk, not kept in memory."""
    with new_store(db_path) as store:
        for i in range(4):
            scan(store, unknown(i), NOW + i * SECOND)
    with KioskStore.open(db_path, create=False) as again:
        assert scan(again, unknown(5), NOW + 5 * SECOND).reason is Reason.CODE_BURST


def test_codes_typed_by_the_guard_are_no_burst(store: KioskStore) -> None:
    for i in range(4):
        scan(store, unknown(i), NOW + i * SECOND, source="manual")
    assert scan(store, unknown(5), NOW + 5 * SECOND).reason is Reason.UNKNOWN_CODE
    assert scan(store, unknown(6), NOW + 6 * SECOND, source="manual").reason is Reason.UNKNOWN_CODE


def test_the_office_rules_set_the_threshold(db_path: Path) -> None:
    with new_store(db_path, dataclasses.replace(RULES, burst_codes=2, burst_minutes=1)) as store:
        assert scan(store, unknown(1), NOW).reason is Reason.UNKNOWN_CODE
        assert scan(store, unknown(2), NOW + 30 * SECOND).reason is Reason.CODE_BURST
        assert scan(store, unknown(3), NOW + 200 * SECOND).reason is Reason.UNKNOWN_CODE
    with new_store(db_path.with_name("off.db"), dataclasses.replace(RULES, burst_codes=0)) as store:
        assert {scan(store, unknown(i), NOW).reason for i in range(9)} == {Reason.UNKNOWN_CODE}


def test_a_booking_shown_again_after_a_deny_and_another_code(store: KioskStore) -> None:
    """(c) someone trying codes: tomorrow's booking is denied, another code, the same booking again."""
    assert scan(store, TOMORROW_CODE, NOW).reason is Reason.WRONG_DAY
    assert scan(store, UNKNOWN_CODE, NOW + 20 * SECOND).reason is Reason.UNKNOWN_CODE
    again = store.decisions.record(present(TOMORROW_CODE), NOW + 40 * SECOND, source="camera")
    decision = again.decision
    assert (decision.verdict, decision.reason) == (Verdict.REFER, Reason.TRYING_CODES)
    assert (decision.facts[PATTERN_OF], decision.facts["denied_reason"], decision.facts["codes_between"]) == (
        "WRONG_DAY",
        "WRONG_DAY",
        "1",
    )
    assert decision.booking is not None and decision.booking.booking_ref == "B-0004"  # for the guard's ID check
    assert alerts(store) == [("alert.trying_codes", again.event_uuid)]
    [item] = [i for i in queue.queue(store, NOW + 60 * SECOND) if i.event_uuid == again.event_uuid]
    assert (item.verdict, item.reason, item.display_name) == (Verdict.REFER, "TRYING_CODES", "Agus Wijaya")


def test_the_same_booking_twice_in_a_row_is_no_pattern(store: KioskStore) -> None:
    assert scan(store, TOMORROW_CODE, NOW).reason is Reason.WRONG_DAY
    assert scan(store, TOMORROW_CODE, NOW + 20 * SECOND).reason is Reason.WRONG_DAY
    assert alerts(store) == []


def test_a_server_answer_of_an_entry_at_another_gate_minutes_ago(store: KioskStore) -> None:
    """(b) the server's ALREADY_ADMITTED (recorded as the server decided it) names an entry at G1 three
    minutes ago; this kiosk is G2: TWO_GATES, a REFER, with the server's facts kept for the guard."""
    local = store.decisions.decide_only(present(CODE), NOW)
    assert local.booking is not None
    entry_at = (NOW - 3 * 60 * SECOND).astimezone(dt.UTC).isoformat(timespec="seconds")
    server = Decision.of(
        Reason.ALREADY_ADMITTED,
        local.booking,
        first_entry_time="10.12",
        first_entry_gate="G1",
        zone="WIB",
        other_gate="G1",
        other_gate_at=entry_at,
    )
    presentation = Presentation(present(CODE).payload)
    recorded = store.decisions.record_decided(
        presentation, server, NOW, "camera", "e0e0e0e0-0000-4000-8000-000000000001"
    )
    decision = recorded.decision
    assert (decision.verdict, decision.reason) == (Verdict.REFER, Reason.TWO_GATES)
    assert (decision.facts["first_entry_gate"], decision.facts["other_gate_minutes"]) == ("G1", "3")
    assert alerts(store) == [("alert.two_gates", recorded.event_uuid)]
    [item] = [i for i in queue.queue(store, NOW) if i.event_uuid == recorded.event_uuid]
    assert (item.reason, item.first_entry_gate, item.first_entry_time) == ("TWO_GATES", "G1", "10.12")

    later = dataclasses.replace(server, facts={**server.facts, "other_gate_at": (NOW - 3600 * SECOND).isoformat()})
    old = store.decisions.record_decided(presentation, later, NOW, "camera", "e0e0e0e0-0000-4000-8000-000000000002")
    assert old.decision.reason is Reason.ALREADY_ADMITTED  # an hour ago: an ordinary second use


@pytest.mark.parametrize("lang", list(Lang))
def test_the_statistics_and_the_daily_report_count_the_alerts(store: KioskStore, lang: Lang) -> None:
    for i in range(6):
        scan(store, unknown(i), NOW + i * SECOND)
    stats = daily.daily_stats(store, NOW)
    assert (stats.per_reason["UNKNOWN_CODE"], stats.per_reason["CODE_BURST"], stats.broker_alerts) == (4, 2, 2)
    report = daily.daily_report(store, NOW)
    text = daily_csv.report_csv(report, lang, ";")
    assert f"{names.text('totals', lang)};{names.text('broker_alerts', lang)};2" in text
    assert f"CODE_BURST;{names.reason('CODE_BURST', lang)};2" in text
    html = daily_html.report_html(report, lang)
    assert names.reason("CODE_BURST", lang) in html and names.text("broker_alerts", lang) in html
