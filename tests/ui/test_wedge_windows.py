"""The keyboard-wedge scanner in the assembled kiosk: a scan typed into whichever of the kiosk's windows
has the focus (the applicant window, the guard console, a console dialog) is recognised and goes down the
scan path; the keys still reach the focused widget, and only the Enter that ends the code is swallowed.

The keys are typed into the window (QWindow), as a keyboard does; the wedge is started before the windows
are shown, so it must pick each of them up when it appears."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kiosk.domain.screen import ScreenState
from kiosk.store.db import KioskStore
from kiosk.ui.dialogs import NoteDialog
from kiosk.workers.wedge import WedgeParser
from tests.ui.conftest import MakeKiosk
from tests.ui.fixtures import ADMIT_CODE, GUARD_A, PIN_A, UNKNOWN_CODE, present
from tests.ui.test_console import login


def handle(widget: QWidget) -> QWindow:
    window = widget.windowHandle()
    assert window is not None
    return window


@pytest.mark.parametrize("where", ["applicant", "console", "dialog"])
def test_a_scan_is_recognised_whichever_window_has_the_focus(
    make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot, where: str
) -> None:
    kiosk = make_kiosk(store, wedge=True)
    wedge = kiosk.wedge
    assert wedge is not None
    wedge.parser = WedgeParser(max_gap_s=1.0)  # QTest stamps keys with real time: a busy machine must not split a burst
    console, applicant = kiosk.console, kiosk.applicant
    applicant.show()
    console.show()
    login(console, GUARD_A, PIN_A)
    window: QWidget
    if where == "applicant":
        window = applicant
        applicant.activateWindow()
    elif where == "console":
        window = console
        console.activateWindow()
        console.queue_page.manual.setFocus()
    else:
        kiosk.controller.code_seen(present(UNKNOWN_CODE))
        console.queue_page.note.click()
        dialog = console.dialog
        assert isinstance(dialog, NoteDialog)
        window = dialog
        dialog.note.edit.setFocus()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is handle(window), timeout=3000)
    manual: list[str] = []
    console.manualEntry.connect(lambda text, _guard: manual.append(text))
    with qtbot.waitSignal(wedge.codeTyped, timeout=3000) as got:
        for ch in ADMIT_CODE:
            QTest.keyClick(handle(window), ch)
        QTest.keyClick(handle(window), Qt.Key.Key_Return)
    assert got.args == [ADMIT_CODE]
    assert applicant.current.state is ScreenState.ADMIT  # recorded and shown, as a camera scan is
    if where == "console":  # the keys reached the field; its Enter did not submit it as a manual entry
        assert console.queue_page.manual.text() == ADMIT_CODE and manual == []
    if where == "dialog":  # the keys reached the note, the Enter did not
        assert isinstance(window, NoteDialog)
        assert window.note.edit.toPlainText() == ADMIT_CODE and window.isVisible()
