"""The guard console's side of the queue tab: the guard's actions on a scan and manual code entry.

Every action goes through the writer thread into the store, down the same path as a scan (event, outbox
row, audit entry in one transaction); the console only shows what the store answers. Override and note
open a dialog and act when the guard submits it. Dismiss and acknowledge wait UNDO_S for an undo before
they are written (at once on a logout, another action or when the console closes), so an undone action
leaves no record at all. The list itself, and how it keeps still under the guard's pointer, is
kiosk/ui/queue_page.py.

These are parts of the console's window (kiosk/ui/console.py): their texts belong to the console, in the
translation context "GuardConsole".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from kiosk.store import guard_actions
from kiosk.store.db import StoreError
from kiosk.store.guard_actions import ActionError, ActionResult, AlreadyResolvedError
from kiosk.store.queue import QueueItem
from kiosk.store.recorder import Recorded
from kiosk.ui import labels
from kiosk.ui.dialogs import NoteDialog, OverrideDialog
from kiosk.ui.labels import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from kiosk.ui.console import GuardConsole

log = logging.getLogger(__name__)

#: Dismiss and acknowledge are written this long after the click, unless the guard undoes them.
UNDO_S = 5


def error_text(error: BaseException) -> str:
    """A guard-facing sentence for a failed action."""
    if isinstance(error, AlreadyResolvedError):
        text = QApplication.translate("GuardConsole", "Already done by %1 (%2). Nothing was changed.")
        return text.replace("%1", error.guard_name).replace("%2", labels.action(error.kind))
    if isinstance(error, StoreError):
        text = QApplication.translate("GuardConsole", "Database problem: %1")
        return text.replace("%1", labels.store_error(str(error)))
    if isinstance(error, ActionError):
        return labels.action_error(str(error))
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True, slots=True)
class PendingAction:
    """A dismiss or acknowledge the guard may still undo: nothing is written until it is committed."""

    kind: str  # "dismiss" or "ack"
    event_uuid: str
    guard_id: int
    at: dt.datetime


UNDO_TEXTS = {
    "dismiss": QT_TRANSLATE_NOOP("GuardConsole", "Dismissed: you can undo this for %n second(s)."),
    "ack": QT_TRANSLATE_NOOP("GuardConsole", "Acknowledged: you can undo this for %n second(s)."),
}


class QueueActions(QObject):
    """The guard's actions on the console's queue page, for the guard logged in at the console."""

    def __init__(self, console: GuardConsole) -> None:
        super().__init__(console)
        self.console = console
        self.page = console.queue_page
        self.pending: PendingAction | None = None
        self.undo_timer = QTimer(self, singleShot=True)
        self.undo_timer.setInterval(UNDO_S * 1000)
        self.undo_timer.timeout.connect(self.finish_pending)
        self.page.overrideRequested.connect(self.open_override)
        self.page.dismissRequested.connect(self._dismiss)
        self.page.acknowledgeRequested.connect(self._acknowledge)
        self.page.noteRequested.connect(self._note)
        self.page.manualRequested.connect(self._manual)
        self.page.undoRequested.connect(self.undo_pending)

    def open_override(self, item: QueueItem) -> None:
        """The override dialog for `item` (window-modal; the action runs when the guard submits)."""
        if self.console.guard is None:
            return
        persons = max(1, (item.party_size or 1) if item.reason != "ALREADY_ADMITTED" else 1)
        dialog = OverrideDialog(item, persons, self.console)
        dialog.submitted.connect(
            lambda reason, note, persons: self._act(
                lambda store, gid, now: guard_actions.override(store, item.event_uuid, gid, reason, now, note, persons)
            )
        )
        self.console.open_dialog(dialog)

    def _note(self, item: QueueItem) -> None:
        if self.console.guard is None:
            return
        dialog = NoteDialog(item, self.console)
        dialog.submitted.connect(
            lambda text: self._act(
                lambda store, gid, now: guard_actions.add_note(store, item.event_uuid, gid, text, now)
            )
        )
        self.console.open_dialog(dialog)

    # --- dismiss and acknowledge, with their undo window --------------------------------------------

    def _dismiss(self, item: QueueItem) -> None:
        self._hold("dismiss", item)

    def _acknowledge(self, item: QueueItem) -> None:
        self._hold("ack", item)

    def _hold(self, kind: str, item: QueueItem) -> None:
        """Dismiss or acknowledge after UNDO_S, unless undone: nothing is written before then."""
        guard = self.console.guard
        if guard is None:
            return
        self.finish_pending()  # one at a time: an earlier one is written now
        self.pending = PendingAction(kind, item.event_uuid, guard.id, self.console.clock())
        self.page.set_pending(item.event_uuid, QApplication.translate("GuardConsole", UNDO_TEXTS[kind], "", UNDO_S))
        self.undo_timer.start()

    def undo_pending(self) -> None:
        """The guard took back a dismiss or acknowledge still in its undo window: nothing is recorded."""
        if self.pending is None:
            return
        self.pending = None
        self.undo_timer.stop()
        self.page.set_pending(None)
        self.page.set_message(QApplication.translate("GuardConsole", "Undone: nothing was recorded."), ok=True)

    def finish_pending(self) -> None:
        """Write the dismiss or acknowledge waiting for its undo window (the timer, a logout, closing)."""
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        self.undo_timer.stop()
        self.page.set_pending(None)
        action = guard_actions.dismiss if pending.kind == "dismiss" else guard_actions.acknowledge
        try:
            self.console.jobs.write(
                lambda store: action(store, pending.event_uuid, pending.guard_id, pending.at),
                self._acted,
                self._action_failed,
            )
        except RuntimeError as exc:  # the writer has already stopped
            log.error("could not record a guard's %s of %s: %s", pending.kind, pending.event_uuid, exc)

    # --- writing an action --------------------------------------------------------------------------

    def _act(self, action: Callable[..., ActionResult]) -> None:
        guard = self.console.guard
        if guard is None:
            return
        self.finish_pending()
        now = self.console.clock()
        self.console.jobs.write(lambda store: action(store, guard.id, now), self._acted, self._action_failed)

    def _acted(self, result: ActionResult) -> None:
        texts = {
            "override": QApplication.translate(
                "GuardConsole", "Admitted: %n person(s). The gate opens.", "", result.persons
            ),
            "dismiss": QApplication.translate("GuardConsole", "Dismissed."),
            "ack": QApplication.translate("GuardConsole", "Acknowledged."),
            "note": QApplication.translate("GuardConsole", "Note saved."),
        }
        self.page.set_message(texts.get(result.kind.value, ""), ok=True)
        self.console.acted.emit(result)
        self.console.refresh_queue()
        self.console.refresh_stats()

    def _action_failed(self, error: BaseException) -> None:
        self.page.set_message(error_text(error), ok=False)
        self.console.refresh_queue()

    # --- manual entry -------------------------------------------------------------------------------

    def _manual(self, text: str) -> None:
        guard = self.console.guard
        if guard is not None:
            self.page.set_manual_result(QApplication.translate("GuardConsole", "Checking…"))
            self.console.manualEntry.emit(text, guard.id)

    def show_manual_result(self, recorded: Recorded | None, message: str = "") -> None:
        """What the controller answers for a typed code: the recorded decision, or why it failed."""
        if recorded is None:
            self.page.set_manual_result(message, ok=False)
            return
        decision = recorded.decision
        text = f"{labels.verdict(decision.verdict.value)} — {labels.reason(decision.reason.value)}"
        if decision.persons > 1:
            text += " · " + QApplication.translate("GuardConsole", "%n people", "", decision.persons)
        self.page.set_manual_result(text, ok=decision.verdict.value == "ADMIT")
        self.page.manual.clear()
