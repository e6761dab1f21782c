"""The guard's session at the console, the parts that are not the window itself (kiosk/ui/console.py).

Login is per guard with a personal PIN (the store counts wrong PINs and locks the guard out after
five); the console logs out after a quiet spell (`idle_logout_s`), and each logout goes into the audit
chain. In kiosk mode, leaving needs the logged-in guard's PIN again (`ask_to_leave`).

The quiet spell is watched by an event filter on the console's own windows (the console's QWindow and
each dialog's), which receive every key, click and touch before any widget does; not on the application,
where it would be called, in Python, for every event of every object of the kiosk. `is_activity` says
which of those events are the guard using the console.

These are parts of the console's window: their texts belong to the console, in the translation context
"GuardConsole".
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from kiosk.store import guard_actions
from kiosk.store.guard_actions import LoginOutcome, LoginResult
from kiosk.store.guards import Guard
from kiosk.ui.console_queue import error_text
from kiosk.ui.dialogs import PinDialog
from kiosk.ui.jobs import Jobs

if TYPE_CHECKING:
    from kiosk.ui.console import GuardConsole

log = logging.getLogger(__name__)

_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


def is_activity(event: QEvent) -> bool:
    """A key, click, wheel, touch or drag: the guard using the console (keeps the guard logged in)."""
    return event.type() in _ACTIVITY and not _passing_mouse(event)


def _passing_mouse(event: QEvent) -> bool:
    """A mouse moving with no button held. A window sees every such move (most widgets saw them only
    with a button held): a mouse passing over the console is not the guard using it."""
    return (
        event.type() == QEvent.Type.MouseMove
        and isinstance(event, QMouseEvent)
        and event.buttons() == Qt.MouseButton.NoButton
    )


def audit_logout(jobs: Jobs, guard_id: int, reason: str, now: dt.datetime) -> None:
    """Put a guard's logout into the audit chain, on the writer thread."""
    try:
        jobs.write(
            lambda store: store.guards.note_logout(guard_id, now, reason),
            lambda _none: None,
            lambda error: log.warning("could not audit a guard's logout: %s", error),
        )
    except RuntimeError as exc:  # the writer has already stopped (the kiosk is closing)
        log.warning("could not audit a guard's logout: %s", exc)


def ask_to_leave(console: GuardConsole, guard: Guard) -> PinDialog:
    """The dialog that asks `guard` for the PIN again to leave kiosk mode (a check that counts towards
    the lockout). The right PIN: the console's leaveKiosk; a lockout: the guard is logged out."""
    dialog = PinDialog(
        guard.name, QApplication.translate("GuardConsole", "Leave kiosk mode and close the kiosk?"), console
    )

    def check(pin: str) -> None:
        now = console.clock()
        console.jobs.write(lambda store: guard_actions.login(store, guard.name, pin, now, "leave"), result, failed)

    def result(outcome: LoginResult) -> None:
        if outcome.outcome is LoginOutcome.OK:
            dialog.accept()
            console.leaveKiosk.emit()
        elif outcome.outcome is LoginOutcome.WRONG_PIN:
            dialog.set_error(
                QApplication.translate(
                    "GuardConsole", "Wrong PIN. %n more wrong PIN(s) lock you out.", "", outcome.tries_left
                )
            )
        else:
            dialog.reject()
            console.logout(QApplication.translate("GuardConsole", "Too many wrong PINs: logged out."), "locked")

    def failed(error: BaseException) -> None:
        dialog.set_error(error_text(error))

    dialog.submitted.connect(check)
    return dialog
