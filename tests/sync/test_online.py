"""Online check for several gates: single use across gates when the server answers, local fallback
under the same event id when it does not, and what two offline kiosks can do (documented)."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from pathlib import Path

from kiosk.domain.model import Reason, Verdict
from kiosk.server import cli as server_cli
from kiosk.store import audit
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, now, sync
from tests.store.conftest import CODE, NOW, new_store, present
from tests.sync.doorgate import OnlineGate, record_decision


def test_two_gates_one_code_online(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("ON", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with (
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G1") as one,
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G2") as two,
    ):
        gate_one, gate_two = OnlineGate(one), OnlineGate(two)
        try:
            first = gate_one.present(code, now())
            second = gate_two.present(code, now())  # G2 has no bookings at all: the server knows better
        finally:
            gate_one.close()
            gate_two.close()
        assert first.online and first.recorded.decision.verdict is Verdict.ADMIT
        # used at G1 seconds ago: the broker pattern TWO_GATES (kiosk/domain/patterns.py), a REFER
        assert second.online and second.recorded.decision.reason is Reason.TWO_GATES
        assert second.recorded.decision.facts["pattern_of"] == Reason.ALREADY_ADMITTED
        assert second.recorded.decision.facts["first_entry_gate"] == "G1"
        assert second.recorded.decision.booking is not None
        assert second.recorded.decision.booking.display_name == f"Pemohon {office}-1"  # for the guard
        for store in (one, two):
            sync(store)
        rows = admin.events(office)
        assert sorted((r.gate, r.reason, r.origin) for r in rows) == [
            ("G1", "OK", "upload"),
            ("G2", "TWO_GATES", "upload"),
        ]


def test_two_gates_one_code_at_the_same_moment(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("SM", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with (
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G1") as one,
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G2") as two,
    ):
        gates = [OnlineGate(one, timeout_s=5), OnlineGate(two, timeout_s=5)]
        results: list[Reason] = []
        start = threading.Barrier(2)

        def present(gate: OnlineGate) -> None:
            start.wait()
            results.append(gate.present(code, now()).recorded.decision.reason)

        threads = [threading.Thread(target=present, args=(gate,)) for gate in gates]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for gate in gates:
            gate.close()
        assert sorted(results) == sorted([Reason.OK, Reason.TWO_GATES])  # ALREADY_ADMITTED, at two gates at once


def test_slow_server_falls_back_to_local_under_the_same_event_id(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office()
    (code,) = codes("TO", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store)
        calm_server.faults(rules=[{"kind": "timeout", "path": "/v1/check", "count": 1}])
        gate = OnlineGate(store, timeout_s=0.3)
        started = time.monotonic()
        result = gate.present(code, now())
        elapsed = time.monotonic() - started
        gate.close()
        assert not result.online and "300 ms" in result.fallback
        assert elapsed < 1.0
        assert result.recorded.decision.verdict is Verdict.ADMIT
        uuid = result.recorded.event_uuid
        # the server had committed its online decision before the reply was held back
        assert [(r.event_uuid, r.origin) for r in admin.events(office)] == [(uuid, "online")]
        sync(store)
        assert [(r.event_uuid, r.origin, r.reason) for r in admin.events(office)] == [(uuid, "upload", "OK")]


def test_local_entry_the_server_has_not_seen_wins(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("LE", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store)
        gate = OnlineGate(store)
        calm_server.faults(rules=[{"kind": "503", "path": "/v1/check", "count": 1}])
        first = gate.present(code, now())
        second = gate.present(code, now())  # the server would admit: it has not seen the first entry
        gate.close()
        assert not first.online and first.recorded.decision.verdict is Verdict.ADMIT
        assert not second.online and second.recorded.decision.reason is Reason.ALREADY_ADMITTED
        sync(store)
        assert sorted(r.reason for r in admin.events(office)) == ["ALREADY_ADMITTED", "OK"]


def test_two_offline_kiosks_can_both_admit_and_the_server_shows_it(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """The documented limit: with no server, each kiosk knows only its own entries."""
    office = admin.office()
    (code,) = codes("OF", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with (
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G1") as one,
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G2") as two,
    ):
        for store in (one, two):
            sync(store)
        calm_server.faults(rules=[{"kind": "503", "path": "/v1/check", "count": 2}])
        results = []
        for store in (one, two):
            gate = OnlineGate(store)
            results.append(gate.present(code, now()))
            gate.close()
        assert [r.recorded.decision.verdict for r in results] == [Verdict.ADMIT, Verdict.ADMIT]
        for store in (one, two):
            sync(store)
        assert len(admin.events(office)) == 2
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert (
                server_cli.main(["--db", str(admin.engine.url.render_as_string(False)), "events", "--office", office])
                == 0
            )
        assert f"{office}-1 on" in output.getvalue() and "2 admitted, party of 1" in output.getvalue()
        # once the entries are synced, each kiosk refuses a third use even offline
        calm_server.faults(rules=[{"kind": "503", "path": "/v1/check", "count": 1}])
        gate = OnlineGate(one)
        assert gate.present(code, now()).recorded.decision.reason is Reason.ALREADY_ADMITTED
        gate.close()


def test_a_server_decision_moves_the_audit_head_file_only_forward(tmp_path: Path) -> None:
    """record_decision() moves the audit head file through the store's rule, as store.decisions.record() does."""
    store = new_store(tmp_path / "kiosk.db")
    try:
        presentation = present(CODE)
        decision = store.decisions.decide_only(presentation, NOW)
        foreign = audit.Head(store.audit.head().seq, "f" * 64)  # the trace of a rewritten database
        audit.write_anchor(store.anchor_path, foreign)
        record_decision(store, presentation, decision, NOW, "e-1", "camera")
        assert audit.read_anchor(store.anchor_path) == foreign
        store.anchor_path.unlink()
        recorded = record_decision(store, presentation, decision, NOW, "e-2", "camera")
        assert audit.read_anchor(store.anchor_path) == audit.Head(recorded.audit_seq, recorded.audit_hash)
    finally:
        store.close()
