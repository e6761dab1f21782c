"""Fixtures for the screen tests: a kiosk assembled around the test office (tests/ui/fixtures.py), with a
settable clock, a silent tone player that remembers what it played, and a fake gate relay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, assemble
from kiosk.domain.explain import Lang
from kiosk.store.db import KioskStore
from kiosk.ui.resources import install_language
from kiosk.ui.sound import SilentPlayer
from kiosk.workers.gate import FakeRelay
from tests.ui.fixtures import NOW, make_store


@dataclass
class FakeTime:
    """Wall clock and monotonic clock the kiosk reads; tests move them on by hand."""

    now: dt.datetime = NOW
    mono: float = 1000.0

    def wall(self) -> dt.datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def test_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db") as opened:
        yield opened


MakeKiosk = Callable[..., Kiosk]


@pytest.fixture
def make_kiosk(qapp: QApplication, qtbot: QtBot, test_time: FakeTime) -> Iterator[MakeKiosk]:
    """Build (and start) kiosks; all are stopped at the end of the test, threads joined."""
    built: list[Kiosk] = []

    def make(store: KioskStore, *, synchronous: bool = True, **options: object) -> Kiosk:
        settings: dict[str, object] = {
            "clock": test_time.wall,
            "monotonic": test_time.monotonic,
            "synchronous": synchronous,
            "player": SilentPlayer(),
            "relay": FakeRelay(open_ms=200),
            "wedge": False,
        }
        settings.update(options)
        kiosk = assemble(store, **settings)  # type: ignore[arg-type]
        built.append(kiosk)
        kiosk.applicant.resize(1920, 1080)
        kiosk.start()
        return kiosk

    yield make
    for kiosk in built:
        kiosk.stop()
    install_language(qapp, Lang.ID)


@pytest.fixture
def kiosk(make_kiosk: MakeKiosk, store: KioskStore) -> Kiosk:
    return make_kiosk(store)
