"""The guard's session at the console (kiosk/ui/console_session.py): the logout after a quiet spell and the
activity that keeps a guard logged in (watched on the console's own windows only), leaving kiosk mode with
the PIN, and logins, logouts and leaving in the audit chain."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.app import Kiosk
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow
from kiosk.ui.console import GuardConsole
from kiosk.ui.dialogs import NoteDialog, PinDialog
from tests.ui.conftest import MakeKiosk
from tests.ui.fixtures import GUARD_A, PIN_A, UNKNOWN_CODE, guard_id, present
from tests.ui.test_console import login


def test_automatic_logout_after_inactivity(make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot) -> None:
    kiosk = make_kiosk(store, idle_logout_s=1)
    console = kiosk.console
    login(console, GUARD_A, PIN_A)
    assert console.guard is not None
    with qtbot.waitSignal(console.loggedOut, timeout=3000):
        pass
    assert console.guard is None and console.stack.currentWidget() is console.login_page
    assert console.login_page.message.text() == console.tr("Logged out after a quiet spell.")


def handle(widget: QWidget) -> QWindow:
    window = widget.window().windowHandle()
    assert window is not None, "shown windows have a QWindow"
    return window


def key(widget: QWidget) -> None:
    """A key press as a keyboard makes it: into the window of `widget`, which hands it to its focus widget."""
    QTest.keyClick(handle(widget), Qt.Key.Key_A)


def click(widget: QWidget) -> None:
    QTest.mouseClick(handle(widget), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(4, 4))


def touch(widget: QWidget) -> None:
    device = QTest.createTouchDevice()
    QTest.touchEvent(handle(widget), device).press(0, QPoint(4, 4)).commit()
    QTest.touchEvent(handle(widget), device).release(0, QPoint(4, 4)).commit()


ACTIVITIES: dict[str, Callable[[QWidget], None]] = {"key": key, "click": click, "touch": touch}


def test_activity_in_the_console_keeps_the_guard_logged_in(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot
) -> None:
    """No wall clock: the quiet spell is the console's single-shot idle timer, so "activity keeps the guard
    logged in" is "each key starts that timer again, for the whole spell". Stopping it before each key
    stands for a spell about to run out; a key that did not restart it would leave it stopped."""
    kiosk = make_kiosk(store, idle_logout_s=1)
    console = kiosk.console
    console.show()
    login(console, GUARD_A, PIN_A)
    console.queue_page.manual.setFocus()
    for _ in range(4):
        console.idle.stop()
        key(console)
        assert console.idle.isActive() and console.idle.interval() == 1000
    assert console.guard is not None
    assert console.queue_page.manual.text() == "aaaa"  # the keys reached the focused field


def note_dialog_open(make_kiosk: MakeKiosk, store: KioskStore) -> tuple[Kiosk, NoteDialog]:
    """A kiosk whose console is shown, a guard logged in (idle logout after 1 s) and the note dialog open
    on a fresh scan."""
    kiosk = make_kiosk(store, idle_logout_s=1)
    console = kiosk.console
    console.show()
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    console.queue_page.note.click()
    dialog = console.dialog
    assert isinstance(dialog, NoteDialog)
    return kiosk, dialog


@pytest.mark.parametrize("activity", sorted(ACTIVITIES))
def test_activity_in_a_console_dialog_keeps_the_guard_logged_in(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot, activity: str
) -> None:
    """No wall clock (see test_activity_in_the_console_keeps_the_guard_logged_in): each activity in the
    dialog starts the idle timer again, for the whole spell."""
    kiosk, dialog = note_dialog_open(make_kiosk, store)
    console = kiosk.console
    dialog.note.edit.setFocus()
    for _ in range(4):
        console.idle.stop()
        ACTIVITIES[activity](dialog)
        assert console.idle.isActive() and console.idle.interval() == 1000
    assert console.guard is not None and dialog.isVisible()
    with qtbot.waitSignal(console.loggedOut, timeout=3000):  # and once the guard stops, the logout comes
        pass
    assert console.dialog is None


def test_activity_in_the_applicant_window_does_not_keep_the_guard_logged_in(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot
) -> None:
    kiosk = make_kiosk(store, idle_logout_s=1)
    console, applicant = kiosk.console, kiosk.applicant
    console.show()
    applicant.show()
    login(console, GUARD_A, PIN_A)
    busy = QTimer()
    busy.timeout.connect(lambda: [activity(applicant) for activity in ACTIVITIES.values()])
    busy.start(100)
    try:
        with qtbot.waitSignal(console.loggedOut, timeout=3000):
            pass
    finally:
        busy.stop()
    assert console.guard is None


def test_a_mouse_merely_passing_over_the_console_does_not_keep_the_guard_logged_in(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot
) -> None:
    kiosk = make_kiosk(store, idle_logout_s=1)
    console = kiosk.console
    console.show()
    login(console, GUARD_A, PIN_A)
    spots = iter(range(1_000_000))

    def hover() -> None:
        spot = next(spots) % 200
        QTest.mouseMove(handle(console), QPoint(10 + spot, 10 + spot))

    busy = QTimer()
    busy.timeout.connect(hover)
    busy.start(50)
    try:
        with qtbot.waitSignal(console.loggedOut, timeout=3000):
            pass
    finally:
        busy.stop()
    assert next(spots) > 5  # it did move


def test_the_idle_logout_comes_after_a_dialog_was_closed(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot
) -> None:
    """A closed dialog is deleted: the logout must not try to close it again."""
    kiosk, dialog = note_dialog_open(make_kiosk, store)
    console = kiosk.console
    dialog.reject()
    assert console.dialog is None
    with qtbot.waitSignal(console.loggedOut, timeout=3000):
        pass
    assert console.stack.currentWidget() is console.login_page


def test_the_idle_filter_is_on_the_consoles_windows_not_on_the_application(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timers, paints and the applicant window never reach the console's Python filter: only the events
    of the console's window and of its dialogs do."""
    calls: list[tuple[QObject, QEvent.Type]] = []
    original = GuardConsole.eventFilter

    def counting(self: GuardConsole, watched: QObject, event: QEvent) -> bool:
        calls.append((watched, event.type()))
        return original(self, watched, event)

    monkeypatch.setattr(GuardConsole, "eventFilter", counting)
    kiosk = make_kiosk(store, idle_logout_s=60)
    console, applicant = kiosk.console, kiosk.applicant
    console.show()
    applicant.show()
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    console.queue_page.note.click()
    dialog = console.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    calls.clear()
    unrelated = QObject()
    ticks: list[int] = []
    timer = QTimer(unrelated)
    timer.timeout.connect(lambda: (ticks.append(1), applicant.repaint(), console.queue_page.update()))
    timer.start(5)
    qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=3000)
    timer.stop()
    key(applicant)
    click(applicant)
    assert calls == []
    key(dialog)
    click(console)  # blocked by the window-modal dialog: Qt does not deliver it
    ours = (handle(console), handle(dialog))
    assert calls and all(any(seen is window for window in ours) for seen, _ in calls)
    assert [kind for _, kind in calls if kind == QEvent.Type.KeyPress] == [QEvent.Type.KeyPress]


def test_leaving_kiosk_mode_needs_the_guards_pin(kiosk: Kiosk, qtbot: QtBot) -> None:
    console = kiosk.console
    console.set_kiosk_mode(True)
    login(console, GUARD_A, PIN_A)
    assert console.leave_button.isVisibleTo(console)
    console.leave_button.click()
    dialog = console.dialog
    assert isinstance(dialog, PinDialog)
    dialog.pin.setText("111222")
    dialog.ok.click()
    assert "PIN salah" in dialog.error.text()
    dialog.pin.setText(PIN_A)
    with qtbot.waitSignal(console.leaveKiosk, timeout=1000):
        dialog.ok.click()


def test_logins_logouts_and_leaving_kiosk_mode_are_in_the_audit_chain(
    kiosk: Kiosk, store: KioskStore, qtbot: QtBot
) -> None:
    """Issue 13: who was at the console, and who left kiosk mode, is evidence (by guard id, no PIN)."""
    console = kiosk.console
    console.set_kiosk_mode(True)
    start = store.audit.head().seq
    login(console, GUARD_A, PIN_A)
    console.logout_button.click()
    login(console, GUARD_A, PIN_A)
    console.leave_button.click()
    dialog = console.dialog
    assert isinstance(dialog, PinDialog)
    dialog.pin.setText(PIN_A)
    with qtbot.waitSignal(console.leaveKiosk, timeout=1000):
        dialog.ok.click()
    with store.reading() as connection:
        rows = connection.execute(
            select(AuditRow.kind, AuditRow.subject).where(AuditRow.seq > start).order_by(AuditRow.seq)
        ).all()
    subject = f"guard:{guard_id(store, GUARD_A)}"
    assert [tuple(row) for row in rows] == [
        ("guard.login", subject),
        ("guard.logout", subject),
        ("guard.login", subject),
        ("kiosk.leave", subject),
    ]
    assert store.audit.verify().ok
