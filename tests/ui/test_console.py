"""The guard console: PIN login and lockout, inactivity logout, the live queue, overrides that need a
reason and leave an event and an audit entry, two guards on one scan, manual entry, notes, the daily
report, leaving kiosk mode."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.app import Kiosk
from kiosk.domain.explain import Lang
from kiosk.domain.screen import Fault, ScreenState
from kiosk.door import OnlineSummary
from kiosk.store import queue
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import OverrideReason
from kiosk.store.schema import AuditRow, ScanEventRow
from kiosk.store.status import store_status
from kiosk.ui import labels
from kiosk.ui import status as status_module
from kiosk.ui.console import GuardConsole
from kiosk.ui.dialogs import NoteDialog, OverrideDialog, PinDialog
from kiosk.ui.labels import translate
from kiosk.ui.resources import install_language
from kiosk.ui.status import CameraStatus, DataState
from kiosk.workers.gate import FakeRelay
from tests.ui.conftest import FakeTime, MakeKiosk
from tests.ui.fixtures import GUARD_A, GUARD_B, NOW, PIN_A, PIN_B, UNKNOWN_CODE, guard_id, present


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


# --- the live queue ---------------------------------------------------------------------------------


def test_the_queue_updates_live_from_the_worker_threads(make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot) -> None:
    kiosk = make_kiosk(store, synchronous=False)
    console = kiosk.console
    qtbot.waitUntil(lambda: console.login_page.guard.count() == 2, timeout=5000)  # the guard list came
    login(console, GUARD_A, PIN_A)
    qtbot.waitUntil(lambda: console.guard is not None, timeout=5000)
    assert kiosk.controller.code_seen(present("MPCANCEL0001"))
    qtbot.waitUntil(lambda: [i.reason for i in items(console)] == ["CANCELLED"], timeout=5000)
    kiosk.controller.code_seen(present("MPPRIORITY01"))
    qtbot.waitUntil(lambda: len(items(console)) == 2, timeout=5000)
    newest = items(console)[0]
    assert (newest.reason, newest.display_name, newest.nik_last4) == ("NEEDS_OFFICER", "Ibu Sumarni", "0921")
    assert "2" in console.tabs.tabText(0)


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


# --- actions ----------------------------------------------------------------------------------------


def test_an_override_needs_a_reason_and_writes_event_outbox_and_audit_entry(kiosk: Kiosk, store: KioskStore) -> None:
    console = kiosk.console
    relay = kiosk.relay
    assert isinstance(relay, FakeRelay)
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present("MPTOOEARLY01"))
    [item] = items(console)
    console.queue_page.admit.click()
    dialog = console.dialog
    assert isinstance(dialog, OverrideDialog)
    assert not dialog.admit.isEnabled()  # no reason yet
    dialog.buttons[OverrideReason.OTHER].setChecked(True)
    assert not dialog.admit.isEnabled()  # "other" needs a description
    assert "minimal" in dialog.error.text()
    dialog.note.edit.setPlainText("Kepala kantor mengizinkan")
    assert dialog.admit.isEnabled()
    audit_before, outbox_before = store.audit.head().seq, store.decisions.outbox_size()
    dialog.admit.click()

    [override] = events(store, "override")
    assert (override["ref_event"], override["guard_id"], override["reason"]) == (
        item.event_uuid,
        guard_id(store, GUARD_A),
        "OTHER",
    )
    assert override["note"] == "Kepala kantor mengizinkan"
    assert store.audit.head().seq == audit_before + 1 and store.decisions.outbox_size() == outbox_before + 1
    with store.reading() as connection:
        entry = connection.execute(select(AuditRow).where(AuditRow.subject == override["event_uuid"])).one()
    assert entry.kind == "event.override"
    assert store.audit.verify().ok
    assert [p.persons for p in relay.pulses] == [1]  # the gate opens for the admitted applicant
    assert kiosk.applicant.current.state is ScreenState.ADMIT
    assert items(console)[0].resolution is not None
    assert not console.queue_page.admit.isEnabled()  # resolved: no second admit
    assert "Diizinkan masuk: 1 orang" in console.queue_page.message.text()


def test_two_guards_on_one_scan_only_the_first_succeeds(make_kiosk: MakeKiosk, store: KioskStore) -> None:
    kiosk = make_kiosk(store)
    first = kiosk.console
    login(first, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    second = GuardConsole(kiosk.console.jobs, kiosk.console.clock)  # the same kiosk, a second screen
    try:
        login(second, GUARD_B, PIN_B)
        second.refresh_queue()
        assert items(first)[0].is_open and items(second)[0].is_open  # both see it open
        first.queue_page.dismiss.click()
        first.finish_pending()  # its undo window has passed
        second.queue_page.admit.click()
        dialog = second.dialog
        assert isinstance(dialog, OverrideDialog)
        dialog.buttons[OverrideReason.ID_CHECKED].setChecked(True)
        dialog.admit.click()
        assert "Sudah ditangani oleh Agus" in second.queue_page.message.text()
        assert len(events(store, "dismiss")) == 1 and events(store, "override") == []
        assert items(second)[0].resolution is not None  # the refreshed queue shows who was first
    finally:
        second.shutdown()
        second.deleteLater()


def test_acknowledge_and_notes_are_recorded_and_notes_shown_as_plain_text(kiosk: Kiosk, store: KioskStore) -> None:
    console = kiosk.console
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    console.queue_page.note.click()
    dialog = console.dialog
    assert isinstance(dialog, NoteDialog)
    dialog.note.edit.setPlainText("<b>bold</b>\u202e reversed\x07")
    dialog.save.click()
    console.queue_page.acknowledge.click()
    assert events(store, "ack") == []  # written once the undo window has passed
    console.undo_timer.timeout.emit()
    assert len(events(store, "note")) == 1 and len(events(store, "ack")) == 1
    [item] = items(console)
    assert item.notes[0].text == "‹b›bold‹/b› reversed"
    shown = console.queue_page.detail_notes
    assert shown.textFormat() == Qt.TextFormat.PlainText and "‹b›bold" in shown.text()


def test_manual_code_entry_takes_the_scan_path_and_names_the_guard(kiosk: Kiosk, store: KioskStore) -> None:
    console = kiosk.console
    login(console, GUARD_B, PIN_B)
    console.queue_page.manual.setText("mp7k-q2xa-t3m9")  # as someone would type it
    console.queue_page.manual_button.click()
    assert kiosk.applicant.current.state is ScreenState.ADMIT
    assert "MASUK" in console.queue_page.manual_result.text()
    [scan] = [e for e in events(store, "scan") if '"source": "manual"' in str(e["facts"])]
    [note] = events(store, "note")
    assert (note["ref_event"], note["guard_id"]) == (scan["event_uuid"], guard_id(store, GUARD_B))
    assert console.queue_page.manual.text() == ""


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


# --- a guard never misses a scan (issue 15) ---------------------------------------------------------


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


def test_dismiss_waits_for_its_undo_window_and_undo_records_nothing(kiosk: Kiosk, store: KioskStore) -> None:
    console = kiosk.console
    page = console.queue_page
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    page.dismiss.click()
    assert console.undo_timer.isActive() and page.undo.isVisibleTo(console)
    assert not page.dismiss.isEnabled() and not page.admit.isEnabled()  # no second action meanwhile
    assert events(store, "dismiss") == []
    audit_before = store.audit.head().seq
    page.undo.click()
    assert not console.undo_timer.isActive() and not page.undo.isVisibleTo(console)
    assert page.message.text() == console.tr("Undone: nothing was recorded.")
    console.undo_timer.timeout.emit()  # even a late timer writes nothing
    assert events(store, "dismiss") == [] and store.audit.head().seq == audit_before
    assert items(console)[0].is_open and page.dismiss.isEnabled()
    page.dismiss.click()
    console.undo_timer.timeout.emit()  # the window has passed
    [dismissed] = events(store, "dismiss")
    assert dismissed["guard_id"] == guard_id(store, GUARD_A)
    assert items(console)[0].resolution is not None and not page.undo.isVisibleTo(console)


def test_a_dismiss_in_its_undo_window_is_written_at_a_logout_and_at_close(
    make_kiosk: MakeKiosk, store: KioskStore
) -> None:
    kiosk = make_kiosk(store)
    console = kiosk.console
    login(console, GUARD_A, PIN_A)
    kiosk.controller.code_seen(present(UNKNOWN_CODE))
    console.queue_page.acknowledge.click()
    console.idle.timeout.emit()  # logged out by the quiet spell, inside the undo window
    [ack] = events(store, "ack")
    assert ack["guard_id"] == guard_id(store, GUARD_A)
    login(console, GUARD_B, PIN_B)
    kiosk.controller.code_seen(present("MPCANCEL0001"))
    console.queue_page.dismiss.click()
    kiosk.stop()  # the kiosk closes inside the undo window: written before the writer stops
    [dismissed] = events(store, "dismiss")
    assert dismissed["guard_id"] == guard_id(store, GUARD_B)


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


def test_every_fault_sentence_is_in_the_consoles_language(kiosk: Kiosk) -> None:
    """Each camera fault kind, and the gate, database and data sentences, are translated (Indonesian here)."""
    status = status_module
    sources = [*status.CAMERA_FAULTS.values(), status.CAMERA_FAULT, status.CAMERA_HINT, status.GATE_FAULT]
    sources += [status.DATABASE_FAULT, status.DATA_NEVER, status.DATA_ROLLED_BACK]
    for source in sources:
        assert translate("StatusPage", source) != source, source
    assert "menit" in translate("StatusPage", status.DATA_STALE, 40)


def test_the_camera_faults_kind_outlasts_the_periodic_figures(kiosk: Kiosk) -> None:
    """The scan worker's figures arrive every few seconds while the camera is down: they do not wipe
    what the fault said."""
    kiosk.controller.camera_fault("camera 7 (closed)", "camera_gone")
    kiosk.controller.camera_status(CameraStatus(False, "", 0.0, "zxing", "camera 7"))
    camera_state = kiosk.console.status_page.values["camera_state"]
    assert camera_state.text() == translate("StatusPage", "Camera not connected")
    assert camera_state.toolTip() == "camera 7 (closed)"
