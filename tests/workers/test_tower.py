"""The tower light on the path an applicant takes (kiosk/ui/controller.py TOWER_OF_SCREEN): the assembled
kiosk (tests/ui/fixtures.py's office, its writer run in this thread) asks its relay for green while an
ADMIT shows, red for a DENY, amber for a REFER, red while OUT OF ORDER, and no lamp while idle or
checking. The lamps themselves on a board: tests/workers/test_relay_board.py; end to end with the
relay simulator: tests/e2e/test_sigterm.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, assemble
from kiosk.domain.screen import Fault, ScreenState
from kiosk.store.guard_actions import ActionKind, ActionResult
from kiosk.ui.sound import SilentPlayer
from kiosk.workers.gate import FakeRelay, Tower
from tests.ui.fixtures import ADMIT_CODE, NOW, make_store


class TowerRelay(FakeRelay):
    """A relay in memory that keeps every colour it was asked for."""

    def __init__(self) -> None:
        super().__init__(open_ms=200)
        self.asked: list[Tower | None] = []

    def show_tower(self, colour: Tower | None) -> None:
        self.asked.append(colour)
        super().show_tower(colour)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kiosk(qapp: QApplication, qtbot: QtBot, tmp_path: Path, clock: Clock) -> Iterator[Kiosk]:
    store = make_store(tmp_path / "kiosk.db")
    built = assemble(
        store,
        clock=lambda: NOW,
        monotonic=clock,
        synchronous=True,
        player=SilentPlayer(),
        relay=TowerRelay(),
        wedge=False,
    )
    built.start()
    yield built
    built.stop()
    store.close()


def _relay(kiosk: Kiosk) -> TowerRelay:
    assert isinstance(kiosk.relay, TowerRelay)
    return kiosk.relay


def _show(kiosk: Kiosk, code: str, state: ScreenState) -> None:
    assert kiosk.controller.code_seen([code])
    assert kiosk.controller.machine.state is state


def _back_to_idle(kiosk: Kiosk, clock: Clock) -> None:
    clock.now += 60
    kiosk.controller.tick()
    assert kiosk.controller.machine.state is ScreenState.IDLE


def test_each_answer_lights_its_colour_and_idle_puts_it_out(kiosk: Kiosk, clock: Clock) -> None:
    relay = _relay(kiosk)
    assert relay.tower is None
    _show(kiosk, ADMIT_CODE, ScreenState.ADMIT)
    assert relay.tower is Tower.GREEN and len(relay.pulses) == 1
    assert relay.asked[-2:] == [None, Tower.GREEN]  # checking: no lamp; then green
    _back_to_idle(kiosk, clock)
    assert relay.tower is None

    _show(kiosk, "MPCANCEL0001", ScreenState.DENY)
    assert relay.tower is Tower.RED and len(relay.pulses) == 1  # red, and the door stays shut
    _back_to_idle(kiosk, clock)

    _show(kiosk, "MPPRIORITY01", ScreenState.REFER)  # please wait for the officer
    assert relay.tower is Tower.AMBER
    _back_to_idle(kiosk, clock)
    assert relay.tower is None


def test_out_of_order_is_red_until_the_fault_clears(kiosk: Kiosk) -> None:
    relay = _relay(kiosk)
    kiosk.controller.fault(Fault.CAMERA)
    assert kiosk.controller.machine.state is ScreenState.OUT_OF_ORDER
    assert relay.tower is Tower.RED
    kiosk.controller.fault_cleared(Fault.CAMERA)
    assert kiosk.controller.machine.state is ScreenState.IDLE
    assert relay.tower is None


def test_a_guard_override_is_green(kiosk: Kiosk) -> None:
    relay = _relay(kiosk)
    _show(kiosk, "MPCANCEL0001", ScreenState.DENY)
    assert relay.tower is Tower.RED
    # the guard's override is on disk (what the console reports once the guard's action is recorded)
    kiosk.controller.guard_acted(ActionResult("e-1", ActionKind.OVERRIDE, "e-0", 1, 1, persons=1))
    assert kiosk.controller.machine.state is ScreenState.ADMIT
    assert relay.tower is Tower.GREEN and len(relay.pulses) == 1
