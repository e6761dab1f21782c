"""The door's relay end to end: the assembled kiosk (as `kiosk run` builds it from `[relay]`), its camera
showing a real QR image, a real server on loopback, and an LCUS relay board simulated on a
pseudo-terminal, driven by the real pyserial driver.

The rule under test is commit before pulse: when the board's contact closes, the ADMIT is already in
kiosk.db (read at that moment through a connection of its own, as a crash right then would leave it).
And a relay fault fails closed: the applicant sees OUT OF ORDER, the door stays shut, the guard's
status panel says why, and the kiosk comes back by itself once the board is back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.domain.model import Verdict
from kiosk.domain.screen import ScreenState
from kiosk.relay.board import RelaySettings
from kiosk.relay.simulator import LcusSimulator, Switch
from kiosk.workers.gate import GateState
from kiosk.workers.relay_board import BoardRelay, configured_relay
from tests.e2e.conftest import MakeGate
from tests.e2e.test_one_door import sync
from tests.server.support import Admin, ServerProcess, booking, codes

#: What kiosk.db held (ADMITs) each time the door's contact closed, read from the board's own thread.
Watch = list[int]


@pytest.fixture
def door_watch() -> Watch:
    return []


@pytest.fixture
def board(door_watch: Watch, tmp_path: Path) -> Iterator[LcusSimulator]:
    db_path = tmp_path / "kiosk-G1.db"  # where make_gate puts G1's database

    def on_switch(switch: Switch) -> None:  # the board's thread, the moment the contact moves
        if switch.channel == 1 and switch.on:
            door_watch.append(_admits_on_disk(db_path))

    with LcusSimulator(4, on_switch=on_switch) as simulator:
        yield simulator


def _admits_on_disk(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return int(connection.execute("SELECT count(*) FROM scan_events WHERE verdict = 'ADMIT'").fetchone()[0])
    finally:
        connection.close()


def test_admit_is_on_disk_before_the_door_opens_and_a_relay_fault_fails_closed(
    calm_server: ServerProcess,
    admin: Admin,
    make_gate: MakeGate,
    qtbot: QtBot,
    board: LcusSimulator,
    door_watch: Watch,
) -> None:
    office = admin.office()
    first, second, third = codes("RL", 3)
    admin.load([booking(c, f"{office}-{c}", office) for c in (first, second, third)])
    relay = configured_relay(RelaySettings(driver="lcus", port=board.path, channel=1, hold_ms=300))
    assert isinstance(relay, BoardRelay)
    gate = make_gate(calm_server, admin, office, "G1", relay=relay)
    assert gate.store.path.name == "kiosk-G1.db"
    sync(gate)
    seen_at_switch = door_watch

    admitted = gate.show(qtbot, first)
    assert admitted.decision.verdict is Verdict.ADMIT
    qtbot.waitUntil(lambda: any(sw.on for sw in board.switches if sw.channel == 1), timeout=10_000)
    assert seen_at_switch == [1]  # the ADMIT was committed before the door opened
    qtbot.waitUntil(lambda: not board.contacts[1], timeout=10_000)  # and shut again after the hold

    board.unplug()
    gate.camera.hold(second)
    try:
        recorded = gate.wait_for(qtbot, 2)[1]
    finally:
        gate.camera.take_away()
    assert recorded.decision.verdict is Verdict.ADMIT  # the booking is fine; the door is not
    qtbot.waitUntil(lambda: gate.kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER, timeout=10_000)
    assert relay.state is GateState.FAULT
    assert not board.contacts[1] and seen_at_switch == [1]  # the door never opened
    status = gate.kiosk.console.status_page
    qtbot.waitUntil(lambda: status.gate_state == "fault", timeout=10_000)
    assert board.path in status.gate_message  # the guard reads which board and why

    board.replug()  # the relay probes the board again by itself
    qtbot.waitUntil(lambda: relay.state is GateState.CLOSED, timeout=20_000)
    qtbot.waitUntil(lambda: gate.kiosk.applicant.current.state is not ScreenState.OUT_OF_ORDER, timeout=20_000)
    assert gate.show(qtbot, third).decision.verdict is Verdict.ADMIT
    qtbot.waitUntil(lambda: len([sw for sw in board.switches if sw.channel == 1 and sw.on]) == 2, timeout=10_000)
    assert seen_at_switch == [1, 3]  # the second admission (during the fault) counted, its door never opened
