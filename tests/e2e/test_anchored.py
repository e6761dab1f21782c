"""End to end: the assembled kiosk's audit chain is pinned at the server by every scan's online check
and anchored by the sync; the guard's status panel shows how far, and what the server found when a
rewrite was made between two syncs (issue 13, docs/audit.md)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.cli import audit as cli_audit
from kiosk.server import anchor
from kiosk.server.db import reading
from kiosk.server.models import AuditReportRow, KioskRow
from kiosk.store.db import KioskStore
from kiosk.sync.client import SyncClient, SyncResult
from tests.e2e import tamper
from tests.e2e.conftest import Gate, MakeGate, log_in
from tests.server.support import Admin, ServerProcess, booking, codes


def sync(gate: Gate) -> SyncResult:
    """One sync from a store of its own, as the kiosk's sync process has."""
    with KioskStore.open(gate.store.path) as own, SyncClient(own) as client:
        return client.sync_once()


def kiosk_id(admin: Admin, office: str, gate: str) -> str:
    with reading(admin.engine) as connection:
        return str(
            connection.execute(
                select(KioskRow.kiosk_id).where(KioskRow.office_code == office, KioskRow.gate == gate)
            ).scalar_one()
        )


def pinned(admin: Admin, kiosk: str) -> set[int]:
    with reading(admin.engine) as connection:
        return set(connection.execute(select(AuditReportRow.seq).where(AuditReportRow.kiosk_id == kiosk)).scalars())


def test_scans_pin_the_head_the_sync_anchors_it_and_the_guard_sees_it(
    calm_server: ServerProcess, admin: Admin, make_gate: MakeGate, qtbot: QtBot
) -> None:
    office = admin.office()
    booked = codes("AN", 2)
    admin.load([booking(code, f"{office}-{code}", office) for code in booked])
    gate = make_gate(calm_server, admin, office, "G1")
    sync(gate)
    kiosk = kiosk_id(admin, office, "G1")
    heads = []
    for code in booked:
        heads.append(gate.store.audit.head().seq)
        assert gate.show(qtbot, code).decided_by == "server"
    assert set(heads) <= pinned(admin, kiosk)  # each online check carried the head before its scan

    sync(gate)
    head = gate.store.audit.head()
    with reading(admin.engine) as connection:
        assert anchor.held_head(connection, kiosk).seq == head.seq
    verified = cli_audit.verify(gate.store)
    assert verified.ok and verified.report.unanchored == 0

    log_in(gate, qtbot)
    console = gate.kiosk.console
    console.refresh_status(verify=True)
    row = console.status_page.values["audit_anchor"]
    qtbot.waitUntil(lambda: row.text().startswith(f"sampai entri {head.seq} "), timeout=10_000)
    assert console.status_page.values["audit_state"].text() == "BAIK"
    assert console.status_page.values["audit_server"].text() == "—"


def test_a_rewrite_between_two_syncs_reaches_the_guards_status_panel(
    calm_server: ServerProcess, admin: Admin, make_gate: MakeGate, qtbot: QtBot
) -> None:
    """The guard's override is deleted and the chain recomputed after the sync anchored it: the
    kiosk's own check fails at once, the next sync records a fork at the server, and the guard's
    status panel says, in red, that the server found the chain altered."""
    office = admin.office()
    (code,) = codes("AR", 1)
    admin.load([booking(code, f"{office}-{code}", office)])
    gate = make_gate(calm_server, admin, office, "G1")
    sync(gate)
    gate.show(qtbot, code)
    gate.show(qtbot, "NOSUCHCODE9")
    sync(gate)
    scan_seq = next(e["seq"] for e in tamper.entries(gate.store.path) if e["kind"] == "event.scan")
    tamper.delete_and_recompute(gate.store.path, scan_seq)
    assert not cli_audit.verify(gate.store).ok

    result = sync(gate)
    assert "fork" in result.audit_alert
    log_in(gate, qtbot)
    console = gate.kiosk.console
    console.refresh_status()
    finding = console.status_page.values["audit_server"]
    qtbot.waitUntil(lambda: "server menemukan rantai audit kiosk ini diubah" in finding.text(), timeout=10_000)
    assert "dihapus atau disisipkan" in finding.text() and finding.objectName() == "error"
    with reading(admin.engine) as connection:
        assert [row.kind for row in anchor.incidents(connection, kiosk_id(admin, office, "G1"))] == ["fork"]
