"""The guard's actions on the console's queue (kiosk/ui/console_queue.py): overrides that need a reason and
leave an event and an audit entry, two guards on one scan, notes, acknowledge, manual entry, and the undo
window of dismiss and acknowledge (nothing written when undone; written at a logout and at close)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from kiosk.app import Kiosk
from kiosk.domain.screen import ScreenState
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import OverrideReason
from kiosk.store.schema import AuditRow
from kiosk.ui.console import GuardConsole
from kiosk.ui.dialogs import NoteDialog, OverrideDialog
from kiosk.workers.gate import FakeRelay
from tests.ui.conftest import MakeKiosk
from tests.ui.fixtures import GUARD_A, GUARD_B, PIN_A, PIN_B, UNKNOWN_CODE, guard_id, present
from tests.ui.test_console import events, items, login


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
