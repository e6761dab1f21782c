"""The guard console's alert bar (kiosk/ui/console_alerts.py), on screen whoever is logged in: the open
count and the newest scan without personal data before a login, the flash and the sound for a new DENY
or REFER (not for a code the guard typed), the fault banner in the console's language."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk
from kiosk.domain.screen import Fault
from kiosk.ui import labels
from kiosk.ui import status as status_module
from kiosk.ui.console import GuardConsole
from kiosk.ui.labels import translate
from kiosk.ui.status import DataState
from kiosk.workers.gate import FakeRelay
from tests.ui.conftest import FakeTime
from tests.ui.fixtures import GUARD_A, PIN_A, UNKNOWN_CODE, present
from tests.ui.test_console import login


def shown_texts(console: GuardConsole) -> list[str]:
    """Every text a label shows on the console right now."""
    return [w.text() for w in console.findChildren(QLabel) if w.isVisibleTo(console) and w.text()]


def test_before_any_login_the_alert_bar_counts_flashes_and_names_nobody(
    kiosk: Kiosk, test_time: FakeTime, qtbot: QtBot
) -> None:
    console = kiosk.console
    sounds: list[str] = []
    console.alert_sound = sounds.append
    assert console.open_count.text() == console.tr("No open scans")
    assert not console.flashing
    kiosk.controller.code_seen(present("MPPRIORITY01"))  # REFER, "Ibu Sumarni", NIK ...0921
    assert console.guard is None and console.stack.currentWidget() is console.login_page
    assert console.open_count.text() == "1 belum ditangani di antrean"
    assert console.newest.text().startswith(
        console.tr("Newest: %1").replace("%1", f"10.45 · {labels.verdict('REFER')}")
    )
    assert console.alerts == ["REFER"]
    assert sounds == ["REFER"]
    assert console.flashing
    texts = " ".join(shown_texts(console))
    assert "Sumarni" not in texts and "0921" not in texts  # no personal data before a login
    # The flash runs on the injected clock: on and off, then off for good after FLASH_S.
    console.flash_tick()
    assert not console.flashing
    console.flash_tick()
    assert console.flashing
    test_time.advance(7)
    console.flash_tick()
    assert not console.flashing and not console.flash_timer.isActive()


def test_the_idle_logout_keeps_the_count_and_new_scans_still_alert(kiosk: Kiosk, test_time: FakeTime) -> None:
    console = kiosk.console
    sounds: list[str] = []
    console.alert_sound = sounds.append
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present("MPCANCEL0001"))  # DENY
    assert console.open_count.text() == "1 belum ditangani di antrean"
    console.idle.timeout.emit()  # the quiet spell ran out
    assert console.guard is None and console.stack.currentWidget() is console.login_page
    assert console.open_count.text() == "1 belum ditangani di antrean"
    assert console.newest.isVisibleTo(console) and labels.verdict("DENY") in console.newest.text()
    test_time.advance(60)
    kiosk.controller.code_seen(present("MPPRIORITY01"))  # REFER while nobody is logged in
    assert console.open_count.text() == "2 belum ditangani di antrean"
    assert f"10.46 · {labels.verdict('REFER')}" in console.newest.text()
    assert sounds == ["DENY", "REFER"] and console.flashing
    assert console.queue_page.model.items == []  # the list itself (names) waits for a login
    assert console.login_hint.text() == console.tr("Log in to see names and to act.")


def test_a_code_the_guard_typed_does_not_alert(kiosk: Kiosk) -> None:
    console = kiosk.console
    sounds: list[str] = []
    console.alert_sound = sounds.append
    login(console, GUARD_A, PIN_A)
    console.queue_page.manual.setText(UNKNOWN_CODE)
    console.queue_page.manual_button.click()
    assert sounds == [] and console.alerts == [] and not console.flashing
    assert console.open_count.text() == "1 belum ditangani di antrean"  # but it is counted


def test_the_camera_fault_is_on_the_banner_in_the_guards_words(kiosk: Kiosk) -> None:
    console = kiosk.console
    assert not console.fault_banner.isVisibleTo(console)
    kiosk.controller.camera_fault("camera 7 (closed)", "camera_gone")
    assert console.fault_banner.isVisibleTo(console)  # logged out too
    banner = console.fault_text.text()
    assert translate("StatusPage", "Camera not connected") in banner
    assert "camera 7" not in banner and "closed" not in banner  # the detail is for the Status tab
    assert "Camera" not in banner and "Kamera" in banner  # in the console's language, not partly English
    camera_state = console.status_page.values["camera_state"]
    assert camera_state.text() == translate("StatusPage", "Camera not connected")
    assert camera_state.toolTip() == "camera 7 (closed)"  # the technical detail, for IT
    assert console.fault_detail.text().endswith(
        console.tr("The applicant screen shows OUT OF ORDER. Details: the Status tab.")
    )
    assert console.fault_detail.text().lower().startswith(translate("StatusPage", status_module.CAMERA_HINT).lower())
    kiosk.controller.camera_ok()
    assert not console.fault_banner.isVisibleTo(console)
    kiosk.controller.camera_fault("something new")  # a kind the console does not know
    assert translate("StatusPage", "Camera not working") in console.fault_text.text()


def test_gate_database_and_stale_data_faults_are_on_the_banner(kiosk: Kiosk) -> None:
    console = kiosk.console
    relay = kiosk.relay
    assert isinstance(relay, FakeRelay)
    kiosk.controller.fault(Fault.GATE)
    assert translate("StatusPage", "Gate relay fault: the gate cannot open") in console.fault_text.text()
    kiosk.controller.fault_cleared(Fault.GATE)
    kiosk.controller.fault(Fault.DATABASE)
    assert translate("StatusPage", "Database problem: scans cannot be recorded") in console.fault_text.text()
    kiosk.controller.fault_cleared(Fault.DATABASE)
    assert not console.fault_banner.isVisibleTo(console)
    console.set_data_state(DataState(dt.timedelta(minutes=40), 15))
    assert console.fault_text.text() == "⚠ " + translate(
        "StatusPage", "Booking data not updated for %n minute(s): unknown codes go to the officer", 40
    )
    assert console.fault_detail.text() == console.tr("Details: the Status tab.")
    console.set_data_state(DataState(dt.timedelta(minutes=5), 15))
    assert not console.fault_banner.isVisibleTo(console)
    console.set_data_state(DataState(None, 15, trusted=False))
    assert console.fault_banner.isVisibleTo(console)


def test_every_fault_sentence_is_in_the_consoles_language(kiosk: Kiosk) -> None:
    """Each camera fault kind, and the gate, database and data sentences, are translated (Indonesian here)."""
    status = status_module
    sources = [*status.CAMERA_FAULTS.values(), status.CAMERA_FAULT, status.CAMERA_HINT, status.GATE_FAULT]
    sources += [status.DATABASE_FAULT, status.DATA_NEVER, status.DATA_ROLLED_BACK]
    for source in sources:
        assert translate("StatusPage", source) != source, source
    assert "menit" in translate("StatusPage", status.DATA_STALE, 40)
