"""The guard console's window (kiosk/ui/console.py): PIN login and lockout, the queue as the guard sees it,
the status panel and the daily report, both languages. Its parts have tests of their own:
test_console_alerts.py, test_console_queue.py, test_console_session.py, test_console_reads.py."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.app import Kiosk
from kiosk.domain.explain import Lang
from kiosk.door import OnlineSummary
from kiosk.store import queue
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import OverrideReason
from kiosk.store.schema import ScanEventRow
from kiosk.store.status import store_status
from kiosk.ui.console import GuardConsole
from kiosk.ui.dialogs import OverrideDialog
from kiosk.ui.labels import translate
from kiosk.ui.resources import install_language
from kiosk.ui.status import CameraStatus
from tests.ui.conftest import FakeTime
from tests.ui.fixtures import GUARD_A, GUARD_B, NOW, PIN_A, PIN_B, UNKNOWN_CODE, present


def login(console: GuardConsole, name: str, pin: str) -> None:
    console.login_page.guard.setCurrentText(name)
    console.login_page.pin.setText(pin)
    console.login_page.login.click()


def items(console: GuardConsole) -> list[queue.QueueItem]:
    return console.queue_page.model.items


def events(store: KioskStore, kind: str) -> list[dict[str, object]]:
    with store.reading() as connection:
        rows = connection.execute(select(ScanEventRow).where(ScanEventRow.kind == kind)).mappings()
        return [dict(row) for row in rows]


# --- login ------------------------------------------------------------------------------------------


def test_login_with_the_guards_pin(kiosk: Kiosk) -> None:
    console = kiosk.console
    assert console.stack.currentWidget() is console.login_page
    assert [console.login_page.guard.itemText(i) for i in range(console.login_page.guard.count())] == [
        GUARD_A,
        GUARD_B,
    ]
    login(console, GUARD_A, PIN_A)
    assert console.guard is not None and console.guard.name == GUARD_A
    assert console.stack.currentWidget() is console.tabs
    assert console.login_page.pin.text() == ""  # a PIN never stays in a field


def test_wrong_pins_count_down_then_lock_the_guard_out(kiosk: Kiosk) -> None:
    console = kiosk.console
    messages = []
    for _ in range(5):
        login(console, GUARD_A, "999999")
        messages.append(console.login_page.message.text())
    assert "4" in messages[0] and "1" in messages[3]
    assert "terkunci sampai pukul" in messages[4]  # locked out (office time shown)
    login(console, GUARD_A, PIN_A)  # the right PIN does not help while locked out
    assert console.guard is None
    assert "terkunci" in console.login_page.message.text()
    login(console, GUARD_B, PIN_B)  # the other guard is not affected
    assert console.guard is not None and console.guard.name == GUARD_B


# --- the live queue ---------------------------------------------------------------------------------


def test_the_queue_shows_what_the_guard_needs_for_a_second_use(kiosk: Kiosk, test_time: FakeTime) -> None:
    console = kiosk.console
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present("MPPARTY3FAM1"))  # ADMIT 3 people at 10.45
    test_time.advance(120)
    kiosk.controller.code_seen(present("MPPARTY3FAM1"))  # the screenshot, two minutes later
    [item] = items(console)
    model = console.queue_page.model
    row = [model.cell(item, column) for column in ("time", "code", "name", "nik", "party", "first_entry")]
    assert row == ["10.47", "MP********M1", "Keluarga Santoso", "4412", "3", "10.45 G1"]
    assert "Sudah pernah masuk" in model.cell(item, "result")


# --- status, report, languages ----------------------------------------------------------------------


def test_status_panel_and_daily_report_export(kiosk: Kiosk, store: KioskStore, tmp_path: Path) -> None:
    console = kiosk.console
    kiosk.controller.reports_dir = tmp_path / "reports"
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present("MPCANCEL0001"))
    console.queue_page.admit.click()
    dialog = console.dialog
    assert isinstance(dialog, OverrideDialog)
    dialog.buttons[OverrideReason.PRIORITY_ELDERLY].setChecked(True)
    dialog.admit.click()
    console.refresh_status(verify=True)
    status = console.status_page
    assert status.values["pending"].text() == str(store.decisions.outbox_size())
    assert status.values["audit_state"].text() == "BAIK"
    status.set_camera(CameraStatus(True, "", 30.0, "zxing", "camera #0", decoder_process=True))
    assert status.values["camera_decoder"].text() == "zxing, dalam proses tersendiri"
    status.set_camera(CameraStatus(True, "", 30.0, "zbar", "camera #0"))
    assert status.values["camera_decoder"].text() == "zbar"
    console.stats_page.export.click()
    [csv_path] = (tmp_path / "reports").glob("*.csv")
    [pdf_path] = (tmp_path / "reports").glob("*.pdf")
    assert pdf_path.read_bytes().startswith(b"%PDF")
    table = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert any(r[1] == GUARD_A and {"override", "PRIORITY_ELDERLY"} <= set(r) for r in table if len(r) > 4)
    assert str(pdf_path) in console.stats_page.export_result.text()


def test_the_status_panel_says_when_the_booking_file_was_lost(kiosk: Kiosk) -> None:
    status = kiosk.console.status_page
    figures = store_status(kiosk.store, NOW)
    status.set_store(dataclasses.replace(figures, bookings=0, bookings_lost=True), NOW)
    label = status.values["bookings"]
    assert label.text() == "0 — berkas jadwal hilang: impor ulang data jadwal"
    assert label.objectName() == "error"
    status.set_store(dataclasses.replace(figures, bookings=7), NOW)
    assert label.text() == "7" and label.objectName() == ""


def test_the_status_panel_says_in_red_when_the_booking_file_is_older_than_the_database_saw(kiosk: Kiosk) -> None:
    status = kiosk.console.status_page
    figures = store_status(kiosk.store, NOW)
    behind = "cursor 0a1b2c3d.5, expected at least cursor 0a1b2c3d.9"
    status.set_store(dataclasses.replace(figures, bookings=7, bookings_rolled_back=behind), NOW)
    label = status.values["bookings"]
    assert label.text() == (
        f"7 — berkas jadwal LEBIH LAMA daripada yang terakhir dilihat basis data ini ({behind}): dikembalikan "
        "ke salinan lama atau diganti; setiap kode diteruskan ke petugas sampai sinkronisasi atau impor berikutnya"
    )
    assert label.objectName() == "error"
    status.set_store(dataclasses.replace(figures, bookings=7), NOW)
    assert label.text() == "7" and label.objectName() == ""


def test_the_status_panel_shows_anchoring_and_the_servers_finding_in_red(kiosk: Kiosk) -> None:
    status = kiosk.console.status_page
    status.set_sync_available(True)
    figures = store_status(kiosk.store, NOW)
    assert figures.anchored is None and figures.server_alert is None
    status.set_store(dataclasses.replace(figures, audit_head_seq=12), NOW)
    anchored, finding = status.values["audit_anchor"], status.values["audit_server"]
    assert (anchored.text(), anchored.objectName()) == ("belum: belum ada tanda terima dari server", "warn")
    assert finding.text() == "—"
    receipt_time = "2026-12-01T02:30:00+00:00"
    told = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    alert = "fork: the kiosk's chain parts from the server's copy at entry 7"
    status.set_store(
        dataclasses.replace(figures, audit_head_seq=12, anchored=(9, receipt_time), server_alert=(told, alert)), NOW
    )
    assert anchored.text() == "sampai entri 9 (01-12-2026 09.30); 3 belum"
    assert finding.text() == (
        "01-12-2026 10.00: server menemukan rantai audit kiosk ini diubah (ada entri yang dihapus atau "
        "disisipkan); laporkan kepada kepala kantor"
    )
    assert finding.objectName() == "error"
    status.set_sync_available(False)
    status.set_store(dataclasses.replace(figures, audit_head_seq=12), NOW)
    assert anchored.text() == "tanpa server: tanda tangani kepala rantai di laporan harian"


@pytest.mark.parametrize(
    ("summary", "text", "style"),
    [
        (OnlineSummary(False, 0, 0, None), "mati: setiap pemindaian diputuskan di sini", ""),
        (OnlineSummary(True, 0, 0, None), "hidup: belum ada pemindaian", ""),
        (
            OnlineSummary(True, 0, 0, None, "not enrolled"),
            "hidup: luring: diputuskan di sini (belum terdaftar di server)",
            "warn",
        ),
        (OnlineSummary(True, 20, 20, 12.4), "hidup: 20 dari 20 dijawab, median 12 md", ""),
        (
            OnlineSummary(True, 10, 5, 301.0, "timeout (300 ms)"),
            "hidup: 5 dari 10 dijawab, median 301 md · terakhir diputuskan di sini: "
            "luring: diputuskan di sini (server terlalu lambat: 300 ms)",
            "warn",
        ),
    ],
)
def test_the_status_panel_shows_how_the_online_check_answered(
    kiosk: Kiosk, summary: OnlineSummary, text: str, style: str
) -> None:
    status = kiosk.console.status_page
    status.set_online(summary)
    assert (status.values["online"].text(), status.values["online"].objectName()) == (text, style)


def test_the_status_panel_counts_refused_uploads(kiosk: Kiosk) -> None:
    status = kiosk.console.status_page
    figures = store_status(kiosk.store, NOW)
    status.set_store(dataclasses.replace(figures, refused_uploads=3), NOW)
    assert status.values["refused"].text() == "3 disimpan untuk TI: kiosk sync status"
    assert status.values["refused"].objectName() == "warn"


@pytest.mark.parametrize(
    ("decided_by", "fallback", "text"),
    [
        ("server", "", "oleh server (semua gerbang)"),
        ("local", "unreachable (ConnectError)", "luring: diputuskan di sini (server tidak terjangkau: ConnectError)"),
        ("local", "online check off", "diputuskan di sini (pemeriksaan daring nonaktif)"),
        (
            "local",
            "unusable answer: HTTP 500",
            "luring: diputuskan di sini (jawaban server tidak dapat dipakai: HTTP 500)",
        ),
    ],
)
def test_the_detail_panel_says_which_path_decided(kiosk: Kiosk, decided_by: str, fallback: str, text: str) -> None:
    console = kiosk.console
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    item = dataclasses.replace(items(console)[0], decided_by=decided_by, fallback=fallback)
    console.queue_page.set_items([item], force=True)
    shown = [w.text() for w in console.queue_page.findChildren(QLabel)]
    assert "Diputuskan:" in shown and text in shown, shown


def test_the_console_speaks_both_languages(kiosk: Kiosk, qapp: QApplication, qtbot: QtBot) -> None:
    console = kiosk.console
    login(console, GUARD_A, PIN_A)
    assert console.tabs.tabText(2) == "Statistik"
    console.language.click()  # the controller installs the English translator
    qtbot.waitUntil(lambda: console.tabs.tabText(2) == "Statistics", timeout=2000)
    assert console.queue_page.admit.text() == "Admit…"
    assert console.language.text() == "Bahasa Indonesia"
    install_language(qapp, Lang.ID)
    qtbot.waitUntil(lambda: console.tabs.tabText(2) == "Statistik", timeout=2000)
    texts = [w.text() for w in console.status_page.findChildren(QLabel) if w.text()]
    assert "Rantai audit dan disk" in texts


# --- a guard never misses a scan (issue 15) ---------------------------------------------------------


def test_a_disabled_dismiss_looks_disabled(kiosk: Kiosk, qtbot: QtBot) -> None:
    """The danger button's red text and border are for an action that can be taken."""
    console = kiosk.console
    console.show()
    qtbot.waitExposed(console)
    login(console, GUARD_A, PIN_A)
    button = console.queue_page.dismiss

    def red_pixels() -> int:
        image = button.grab().toImage()
        return sum(
            1
            for x in range(0, image.width(), 2)
            for y in range(0, image.height(), 2)
            if (c := image.pixelColor(x, y)).red() > 120 and c.green() < 80 and c.blue() < 80
        )

    assert not button.isEnabled()  # nothing selected
    assert red_pixels() == 0
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    assert button.isEnabled() and red_pixels() > 0


def test_the_camera_faults_kind_outlasts_the_periodic_figures(kiosk: Kiosk) -> None:
    """The scan worker's figures arrive every few seconds while the camera is down: they do not wipe
    what the fault said."""
    kiosk.controller.camera_fault("camera 7 (closed)", "camera_gone")
    kiosk.controller.camera_status(CameraStatus(False, "", 0.0, "zxing", "camera 7"))
    camera_state = kiosk.console.status_page.values["camera_state"]
    assert camera_state.text() == translate("StatusPage", "Camera not connected")
    assert camera_state.toolTip() == "camera 7 (closed)"
