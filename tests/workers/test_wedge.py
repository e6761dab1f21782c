"""The keyboard-wedge scanner: a fast burst ending in Enter is a code, whatever widget has focus."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kiosk.workers.wedge import KeyboardWedge, WedgeParser


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def type_keys(parser: WedgeParser, text: str, gap: float, start: float = 0.0) -> list[str]:
    codes = []
    t = start
    for ch in text:
        code = parser.key(ch, t)
        if code is not None:
            codes.append(code)
        t += gap
    return codes


def test_a_scanner_burst_is_a_code() -> None:
    assert type_keys(WedgeParser(), "KNM-7F3K-2Q9D\r", gap=0.004) == ["KNM-7F3K-2Q9D"]


def test_a_person_typing_is_not() -> None:
    assert type_keys(WedgeParser(), "KNM-7F3K-2Q9D\r", gap=0.15) == []


def test_a_burst_after_slow_typing_stands_alone() -> None:
    parser = WedgeParser()
    type_keys(parser, "hello", gap=0.2)
    assert type_keys(parser, "ABCD-1234\r", gap=0.005, start=10.0) == ["ABCD-1234"]


def test_shift_presses_are_ignored_and_editing_keys_reset() -> None:
    parser = WedgeParser()
    assert type_keys(parser, "AB", gap=0.004) == []
    assert parser.key("", 0.009) is None  # Shift
    assert type_keys(parser, "CD\r", gap=0.004, start=0.010) == ["ABCD"]
    assert type_keys(parser, "ABCD\b\r", gap=0.004) == []


def test_too_short_too_slow_at_the_end_and_too_long() -> None:
    assert type_keys(WedgeParser(min_length=4), "ABC\r", gap=0.004) == []
    parser = WedgeParser()
    type_keys(parser, "ABCDEFGH", gap=0.004)
    assert parser.key("\r", 1.0) is None  # Enter long after the burst: a person
    assert type_keys(WedgeParser(max_length=8), "ABCDEFGHIJ\r", gap=0.004) == []


@pytest.fixture
def window(qtbot: QtBot) -> tuple[QWidget, QLineEdit, QLabel]:
    top = QWidget()
    layout = QVBoxLayout(top)
    field, label = QLineEdit(), QLabel("preview")
    label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    layout.addWidget(field)
    layout.addWidget(label)
    qtbot.addWidget(top)
    top.show()
    return top, field, label


@pytest.fixture
def wedge() -> tuple[KeyboardWedge, FakeClock]:
    clock = FakeClock()
    watcher = KeyboardWedge(clock=clock, use_event_time=False)
    watcher.install()
    yield watcher, clock  # type: ignore[misc]
    watcher.uninstall()


def scan(target: QWidget, text: str, clock: FakeClock, gap: float) -> None:
    for ch in text:
        QTest.keyClick(target, ch)
        clock.now += gap
    QTest.keyClick(target, Qt.Key.Key_Return)


@pytest.mark.parametrize("focus", ["field", "label"])
def test_the_filter_sees_scans_whatever_has_focus(
    qtbot: QtBot, window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock], focus: str
) -> None:
    _, field, label = window
    watcher, clock = wedge
    target = field if focus == "field" else label
    with qtbot.waitSignal(watcher.codeTyped, timeout=1000) as got:
        scan(target, "KNM7F3K2Q9D", clock, gap=0.004)
    assert got.args == ["KNM7F3K2Q9D"]


def test_each_key_counts_once_though_parents_see_it_again(
    window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    _, _, label = window  # a label ignores keys, so Qt offers each one to its parents too
    watcher, clock = wedge
    codes: list[str] = []
    watcher.codeTyped.connect(codes.append)
    scan(label, "ABCD1234", clock, gap=0.004)
    assert codes == ["ABCD1234"]


def test_through_the_window_like_a_real_keyboard(
    window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    top, field, _ = window
    field.setFocus()
    watcher, clock = wedge
    codes: list[str] = []
    watcher.codeTyped.connect(codes.append)
    handle = top.windowHandle()
    for ch in "WXYZ9876":
        QTest.keyClick(handle, ch)
        clock.now += 0.004
    QTest.keyClick(handle, Qt.Key.Key_Return)
    assert codes == ["WXYZ9876"]


def test_people_typing_into_a_field_are_left_alone(
    window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    _, field, _ = window
    watcher, clock = wedge
    codes: list[str] = []
    watcher.codeTyped.connect(codes.append)
    scan(field, "note", clock, gap=0.2)
    assert codes == [] and field.text() == "note"


def test_the_ending_enter_of_a_scan_is_swallowed(
    window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    _, field, _ = window
    _, clock = wedge
    pressed: list[bool] = []
    field.returnPressed.connect(lambda: pressed.append(True))
    scan(field, "ABCD1234", clock, gap=0.004)
    assert pressed == []  # the scan cannot press a default button
    scan(field, "slow", clock, gap=0.3)
    assert pressed == [True]
