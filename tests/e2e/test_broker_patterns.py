"""Broker patterns end to end: the assembled kiosk (kiosk.app.assemble, as `kiosk run` builds it), its
camera showing real QR images read through the decoder process, enrolled with a real server on loopback.

Five not-a-booking codes in a row: the fifth is a REFER with the reason CODE_BURST, on the applicant's
screen ("please wait for the officer", both languages), in the guard console's queue (with the flash),
in the audit chain (its own `alert.code_burst` entry on the scan), and at the server after a sync.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.domain.explain import Lang, explain_both
from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.screen import ScreenState
from kiosk.store.schema import AuditRow
from tests.e2e.conftest import MakeGate, log_in
from tests.e2e.test_one_door import facts, sync
from tests.server.support import Admin, ServerProcess


def test_five_codes_that_are_no_booking_send_the_fifth_to_the_officer(
    calm_server: ServerProcess, admin: Admin, make_gate: MakeGate, qtbot: QtBot
) -> None:
    office = admin.office()
    gate = make_gate(calm_server, admin, office, "G1")
    sync(gate)
    log_in(gate, qtbot)
    console = gate.kiosk.console

    shown = [gate.show(qtbot, f"https://example.org/calo/{n}", medium="paper" if n % 2 else "phone") for n in range(5)]

    assert [r.decision.reason for r in shown[:4]] == [Reason.NOT_A_BOOKING] * 4
    fifth = shown[4]
    assert (fifth.decision.verdict, fifth.decision.reason) == (Verdict.REFER, Reason.CODE_BURST)
    assert facts(gate, fifth.event_uuid)["pattern_of"] == "NOT_A_BOOKING"
    # the applicant is asked to wait for the officer, in both languages
    screen = gate.kiosk.applicant.current
    assert screen.state is ScreenState.REFER and screen.event_uuid == fifth.event_uuid
    indonesian, english = explain_both(Decision.of(Reason.CODE_BURST))
    assert screen.words[Lang.ID].title == indonesian.title == "MOHON TUNGGU PETUGAS"
    assert screen.words[Lang.EN].title == english.title == "PLEASE WAIT FOR THE OFFICER"
    assert screen.words[Lang.ID].sentence == indonesian.sentence

    # the guard's console: the flash, and the scan in the queue as a REFER with its reason
    assert "REFER" in console.alerts

    def in_queue() -> list[object]:
        return [i for i in console.queue_page.model.items if i.event_uuid == fifth.event_uuid]

    console.refresh_queue()
    qtbot.waitUntil(lambda: bool(in_queue()), timeout=10_000)
    (item,) = in_queue()
    assert (item.verdict, item.reason, item.is_open) == (Verdict.REFER, "CODE_BURST", True)  # type: ignore[attr-defined]

    # the audit chain: the alert's own entry, on the scan, just before the scan's entry; the chain holds
    with gate.store.reading() as connection:
        entries = connection.execute(
            select(AuditRow.seq, AuditRow.kind).where(AuditRow.subject == fifth.event_uuid).order_by(AuditRow.seq)
        ).all()
    assert [(e.kind, e.seq) for e in entries] == [
        ("alert.code_burst", fifth.audit_seq - 1),
        ("event.scan", fifth.audit_seq),
    ]
    assert gate.store.audit.verify().ok

    # the server gets the scan as it was recorded, and anchors the chain with the alert in it
    sync(gate)
    on_server = {row.event_uuid: row for row in admin.events(office)}
    assert (on_server[fifth.event_uuid].verdict, on_server[fifth.event_uuid].reason) == ("REFER", "CODE_BURST")
    assert gate.store.decisions.outbox_size() == 0 and gate.store.decisions.refused_uploads() == 0
