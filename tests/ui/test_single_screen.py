"""Single-screen mode (issue 15): the guard console opens in a side panel of the applicant's display, never
over the verdict, and personal data on it shows only while the guard holds F12."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, show_windows
from kiosk.domain.screen import ScreenState
from kiosk.door import Source
from kiosk.ui.screenshots import clipped_labels
from kiosk.ui.single_screen import HOLD_KEY, Curtain, split


@pytest.mark.parametrize("area", [QRect(0, 0, 1920, 1080), QRect(0, 0, 1080, 1920), QRect(100, 50, 1366, 768)])
def test_the_display_is_split_without_overlap(area: QRect) -> None:
    applicant, console = split(area)
    assert not applicant.intersects(console)
    assert applicant.united(console) == area
    assert applicant.width() * applicant.height() > console.width() * console.height()


def _key(kind: QEvent.Type, key: Qt.Key = HOLD_KEY) -> QKeyEvent:
    return QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier)


def _curtained(kiosk: Kiosk) -> bool:
    page = kiosk.console.queue_page
    return any(isinstance(c, Curtain) and c.isVisibleTo(page) for c in page.children())


def test_the_console_never_covers_the_verdict_and_hides_personal_data(kiosk: Kiosk, qtbot: QtBot) -> None:
    show_windows(kiosk, kiosk_mode=True, single_screen=True)
    single = kiosk.single_screen
    assert single is not None
    applicant, console = kiosk.applicant, kiosk.console
    assert not console.isVisible()
    kiosk.controller.code_seen(["MPCANCEL0001"], Source.CAMERA)
    assert applicant.current.state is ScreenState.DENY
    applicant.guardRequested.emit()  # Ctrl+Alt+G
    QApplication.processEvents()
    assert console.isVisible()
    assert not applicant.geometry().intersects(console.geometry())
    assert applicant.title1.isVisibleTo(applicant) and applicant.title1.text() == "TIDAK DAPAT MASUK"
    assert clipped_labels(applicant) == []  # the narrower answer still fits whole
    assert _curtained(kiosk)
    QApplication.sendEvent(console, _key(QEvent.Type.KeyPress))  # the guard holds F12
    assert not _curtained(kiosk) and single.revealed
    QApplication.sendEvent(console, _key(QEvent.Type.KeyRelease))
    assert _curtained(kiosk)
    QApplication.sendEvent(console, _key(QEvent.Type.KeyPress))
    QApplication.sendEvent(console, QEvent(QEvent.Type.WindowDeactivate))  # the console lost the keyboard
    assert _curtained(kiosk)
    console.hide()
    QApplication.processEvents()
    assert applicant.geometry() == single.area  # the applicant's window has the display back


def test_a_dialog_over_the_console_stays_in_its_panel_and_is_covered(kiosk: Kiosk, qtbot: QtBot) -> None:
    show_windows(kiosk, kiosk_mode=True, single_screen=True)
    kiosk.applicant.guardRequested.emit()
    dialog = QDialog(kiosk.console)
    dialog.setObjectName("overrideDialog")
    dialog.setGeometry(0, 0, 3000, 400)
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.processEvents()
    assert kiosk.console.geometry().contains(dialog.geometry())
    assert not dialog.geometry().intersects(kiosk.applicant.geometry())
    assert any(isinstance(c, Curtain) and c.isVisibleTo(dialog) for c in dialog.children())
    dialog.close()
