"""The keyboard-wedge scanner: a fast burst ending in Enter is a code, whatever widget has focus, in any
of the application's windows. The keys are typed into a window (QWindow), as a real keyboard does: the
filter is on the windows, not on the application, so a key sent straight to a widget is not seen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget
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


class CountingWedge(KeyboardWedge):
    """A wedge that notes every call of its (Python) event filter: what it watched, and the event type."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock, use_event_time=False)
        self.calls: list[tuple[QObject, QEvent.Type]] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.calls.append((watched, event.type()))
        return super().eventFilter(watched, event)


@pytest.fixture
def wedge() -> Iterator[tuple[KeyboardWedge, FakeClock]]:
    clock = FakeClock()
    watcher = CountingWedge(clock)
    watcher.install()
    yield watcher, clock
    watcher.uninstall()


def scan(target: QWidget, text: str, clock: FakeClock, gap: float) -> None:
    """Type `text` and Enter into the window of `target`, with `target` focused, as a keyboard does."""
    target.setFocus()
    handle = target.window().windowHandle()
    assert handle is not None
    for ch in text:
        QTest.keyClick(handle, ch)
        clock.now += gap
    QTest.keyClick(handle, Qt.Key.Key_Return)


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
    assert field.text() == ("KNM7F3K2Q9D" if focus == "field" else "")  # the keys reached the focused widget


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


def test_a_window_shown_later_is_watched_once_it_has_the_focus(
    qtbot: QtBot, window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    watcher, clock = wedge
    other = QWidget()
    field = QLineEdit(other)
    qtbot.addWidget(other)
    other.show()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is other.windowHandle(), timeout=2000)
    codes: list[str] = []
    watcher.codeTyped.connect(codes.append)
    scan(field, "LATER123", clock, gap=0.004)
    assert codes == ["LATER123"] and field.text() == "LATER123"


def test_a_modal_dialog_is_watched_as_soon_as_it_opens(
    qtbot: QtBot, window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    """A dialog opened over a watched window is watched before the focus moves to it (the window system
    reports that later): the window it blocks tells the wedge."""
    top, _, _ = window
    watcher, clock = wedge
    dialog = QDialog(top)
    QVBoxLayout(dialog).addWidget(QLineEdit())
    dialog.open()
    handle = dialog.windowHandle()
    assert handle is not None and QGuiApplication.focusWindow() is not handle  # not focused yet
    assert any(known is handle for known in watcher.watched_windows())
    codes: list[str] = []
    watcher.codeTyped.connect(codes.append)
    for ch in "MODAL123":
        QTest.keyClick(handle, ch)
        clock.now += 0.004
    QTest.keyClick(handle, Qt.Key.Key_Return)
    assert codes == ["MODAL123"]
    assert dialog.isVisible()  # the Enter that ended the code did not press the dialog's default button
    dialog.reject()


def test_the_filter_is_on_the_windows_not_on_the_application(
    qtbot: QtBot, window: tuple[QWidget, QLineEdit, QLabel], wedge: tuple[KeyboardWedge, FakeClock]
) -> None:
    """A timer of an unrelated object, or a repaint of a widget, never reaches the Python filter: only the
    events of the watched windows do (an application-wide filter would see thousands a second)."""
    top, field, label = window
    watcher, clock = wedge
    assert isinstance(watcher, CountingWedge)
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is top.windowHandle(), timeout=2000)
    watcher.calls.clear()
    unrelated = QObject()
    ticks: list[int] = []
    timer = QTimer(unrelated)
    timer.timeout.connect(lambda: (ticks.append(1), label.repaint(), field.update()))
    timer.start(5)
    qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=3000)
    timer.stop()
    QApplication.processEvents()
    assert watcher.calls == []
    scan(field, "ONLYKEYS", clock, gap=0.004)  # the keys (and only the window's events) do reach it
    assert watcher.calls and all(isinstance(seen, QWindow) for seen, _ in watcher.calls)
    assert sum(kind == QEvent.Type.KeyPress for _, kind in watcher.calls) == len("ONLYKEYS") + 1


def test_uninstall_removes_the_filter_from_every_window(
    qtbot: QtBot, window: tuple[QWidget, QLineEdit, QLabel]
) -> None:
    top, field, _ = window
    clock = FakeClock()
    watcher = CountingWedge(clock)
    watcher.install()
    assert any(known is top.windowHandle() for known in watcher.watched_windows())
    watcher.uninstall()
    assert watcher.watched_windows() == []
    scan(field, "GONE1234", clock, gap=0.004)
    assert watcher.calls == []
