"""The guard console: PIN login, the live queue of denied and referred scans with the guard's actions,
manual code entry, the status panel and today's statistics.

Every guard action goes through the writer thread into the store, down the same path as a scan (event,
outbox row, audit entry in one transaction); the console only shows what the store answers. Reads run
on the reader thread. Nothing here touches the database, the disk or the network itself.

Login is per guard with a personal PIN (the store counts wrong PINs and locks the guard out after
five); the console logs out after a quiet spell (`idle_logout_s`). In kiosk mode, leaving needs the
logged-in guard's PIN again.

Whoever is logged in (and before the first login), the alert bar under the header always shows how many
scans are open, the newest one's verdict, reason and time (never a name or NIK digits: those only after a
login), and a banner for each fault (camera, gate relay, database, stale booking data) in the console's
language. Each new DENY or REFER flashes the bar for a few seconds and, where there is sound, plays a
short alert. Dismiss and acknowledge wait a few seconds for an undo before they are written (at once on
a logout or when the console closes), so an undone action leaves no record at all.

The quiet spell is watched by an event filter on the console's own windows (the console's QWindow and
each dialog's), which receive every key, click and touch before any widget does; not on the application,
where it would be called, in Python, for every event of every object of the kiosk.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QMouseEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.clock import WallClock
from kiosk.domain.explain import Lang
from kiosk.domain.screen import ScreenState
from kiosk.store import guard_actions, queue
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.guard_actions import ActionError, ActionResult, AlreadyResolvedError, LoginOutcome, LoginResult
from kiosk.store.guards import Guard
from kiosk.store.queue import QueueItem
from kiosk.store.recorder import Recorded
from kiosk.store.reports import daily
from kiosk.store.settings import Identity
from kiosk.store.status import StoreStatus, store_status
from kiosk.sync import anchoring
from kiosk.ui import labels
from kiosk.ui.dialogs import NoteDialog, OverrideDialog, PinDialog
from kiosk.ui.jobs import Jobs
from kiosk.ui.labels import QT_TRANSLATE_NOOP
from kiosk.ui.login_page import LoginPage
from kiosk.ui.queue_page import QueuePage
from kiosk.ui.resources import sound_path
from kiosk.ui.stats import StatsPage
from kiosk.ui.status import DataState, StatusPage, camera_hint, fault_sentences
from kiosk.ui.widgets import Tabs, button, frame, label

log = logging.getLogger(__name__)

IDLE_LOGOUT_S = 120
QUEUE_REFRESH_MS = 10_000
STATUS_REFRESH_MS = 5_000
STATS_REFRESH_MS = 60_000
AUDIT_VERIFY_MS = 10 * 60_000
#: A new DENY or REFER flashes the alert bar this long, switching every FLASH_STEP_MS.
FLASH_S = 6.0
FLASH_STEP_MS = 400
#: Dismiss and acknowledge are written this long after the click, unless the guard undoes them.
UNDO_S = 5
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


def _passing_mouse(event: QEvent) -> bool:
    """A mouse moving with no button held. A window sees every such move (most widgets saw them only
    with a button held): a mouse passing over the console is not the guard using it."""
    return (
        event.type() == QEvent.Type.MouseMove
        and isinstance(event, QMouseEvent)
        and event.buttons() == Qt.MouseButton.NoButton
    )


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


class AlertSound(QObject):
    """The console's alert for a new DENY or REFER: that verdict's tone played twice (the applicant hears
    it once), so a guard looking elsewhere hears that something came in. Sound is optional: without
    QtMultimedia or an audio device this stays silent (the flash and the count are always there)."""

    def __init__(self, volume: float = 0.8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._effects: dict[str, Any] = {}
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:
            log.warning("no console alert sound: QtMultimedia cannot load (%s)", exc)
            return
        if not QMediaDevices.audioOutputs():
            return
        for verdict, state in (("DENY", ScreenState.DENY), ("REFER", ScreenState.REFER)):
            path = sound_path(state)
            if path.exists():
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setVolume(volume)
                effect.setLoopCount(2)
                self._effects[verdict] = effect

    def __call__(self, verdict: str) -> None:
        effect = self._effects.get(verdict)
        if effect is not None and effect.status() != effect.Status.Error:
            effect.play()


class GuardConsole(QMainWindow):
    acted = Signal(object)  # ActionResult: a scan was resolved or annotated
    manualEntry = Signal(str, int)  # code text, guard id
    languageChanged = Signal(object)  # Lang
    leaveKiosk = Signal()  # a guard confirmed leaving kiosk mode with the PIN
    loggedIn = Signal(object)  # Guard
    loggedOut = Signal()
    syncRequested = Signal()
    exportRequested = Signal()

    def __init__(
        self,
        jobs: Jobs,
        clock: WallClock,
        *,
        lang: Lang = Lang.ID,
        idle_logout_s: int = IDLE_LOGOUT_S,
        monotonic: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("console")
        self.jobs = jobs
        self.clock = clock
        self.monotonic = monotonic
        self.lang = lang
        self.guard: Guard | None = None
        self.zone: ZoneInfo | None = None
        self.kiosk_mode = False
        self.identity: Identity | None = None
        self._in_flight: set[str] = set()
        self.dialog: QDialog | None = None
        self._open_items = 0
        #: Today's denied and referred scans as last read (the alert bar's count and newest scan).
        self._items: list[QueueItem] = []
        self.pending: PendingAction | None = None
        #: Plays the alert for a new DENY or REFER (verdict value); None: silent.
        self.alert_sound: Callable[[str], None] | None = None
        #: The new DENY and REFER scans the console was told of (verdict values), newest last.
        self.alerts: list[str] = []
        self.flash_until: float | None = None
        self.faults: frozenset[str] = frozenset()
        self.camera_kind = ""
        self.data_state = DataState()

        self.setCentralWidget(self._build())

        self.queue_page.overrideRequested.connect(self.open_override)
        self.queue_page.dismissRequested.connect(self._dismiss)
        self.queue_page.acknowledgeRequested.connect(self._acknowledge)
        self.queue_page.noteRequested.connect(self._note)
        self.queue_page.manualRequested.connect(self._manual)
        self.queue_page.undoRequested.connect(self.undo_pending)
        self.status_page.verifyRequested.connect(lambda: self.refresh_status(verify=True))
        self.status_page.syncRequested.connect(self.syncRequested)
        self.stats_page.refreshRequested.connect(self.refresh_stats)
        self.stats_page.exportRequested.connect(self.exportRequested)

        self.idle = QTimer(self, singleShot=True)
        self.idle.setInterval(max(idle_logout_s, 1) * 1000)
        self.idle.timeout.connect(lambda: self.logout(self.tr("Logged out after a quiet spell."), "idle"))
        self._timers = {
            "queue": self._timer(QUEUE_REFRESH_MS, self.refresh_queue),
            "status": self._timer(STATUS_REFRESH_MS, self.refresh_status),
            "stats": self._timer(STATS_REFRESH_MS, self.refresh_stats),
            "audit": self._timer(AUDIT_VERIFY_MS, lambda: self.refresh_status(verify=True)),
        }
        #: The queue is read logged in or not: the alert bar counts the open scans at all times.
        self.summary_timer = self._timer(QUEUE_REFRESH_MS, self.refresh_queue)
        self.summary_timer.start()
        self.flash_timer = self._timer(FLASH_STEP_MS, self.flash_tick)
        self.undo_timer = QTimer(self, singleShot=True)
        self.undo_timer.setInterval(UNDO_S * 1000)
        self.undo_timer.timeout.connect(self.finish_pending)
        QShortcut(QKeySequence("Ctrl+L"), self, lambda: self.logout("", "button"))
        self.resize(1400, 900)
        self.retranslate()
        self.refresh_guards()
        self.refresh_queue()

    def _build(self) -> QWidget:
        """The header bar over a stack of the login page and the tabs (queue, status, statistics)."""
        self.header = frame("header")
        self.header_title = label()
        self.who = label()
        self.open_count = label()
        self.language = button()
        self.language.clicked.connect(self._toggle_language)
        self.logout_button = button()
        self.logout_button.clicked.connect(lambda: self.logout("", "button"))
        self.leave_button = button()
        self.leave_button.clicked.connect(self._confirm_leave)
        row = QHBoxLayout(self.header)
        row.addWidget(self.header_title)
        row.addStretch(1)
        row.addWidget(self.who)
        for widget in (self.language, self.logout_button, self.leave_button):
            row.addWidget(widget)

        self.login_page = LoginPage()
        self.login_hint = self.login_page.names_hint  # why the alert bar names nobody
        self.login_page.submitted.connect(self._login)
        self.queue_page = QueuePage()
        self.status_page = StatusPage()
        self.stats_page = StatsPage()
        self.tabs = Tabs()
        self.tabs.addTab(self.queue_page, "")
        self.tabs.addTab(self.status_page, "")
        self.tabs.addTab(self.stats_page, "")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.login_page)
        self.stack.addWidget(self.tabs)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self._alert_bar())
        body = QVBoxLayout()
        body.setContentsMargins(8, 8, 8, 8)
        body.addWidget(self.stack)
        layout.addLayout(body, 1)
        return central

    def _alert_bar(self) -> QWidget:
        """Under the header, whoever is logged in: the open count, the newest scan (no personal data)
        and a banner for each fault."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.alert_bar = frame("alertBar")
        self.alert_bar.setProperty("flash", "off")
        # Wrapped, so that a long reason or a narrow console never makes the window wider than the screen.
        self.newest = label("newest", wrap=True)
        row = QHBoxLayout(self.alert_bar)
        row.setContentsMargins(14, 5, 14, 5)
        row.addWidget(self.open_count)
        row.addSpacing(24)
        row.addWidget(self.newest, 1)
        self.open_count.setObjectName("openCount")
        self.fault_banner = frame("faultBanner")
        self.fault_text = label("faultText", wrap=True)
        self.fault_detail = label("faultDetail", wrap=True)
        inner = QVBoxLayout(self.fault_banner)  # short lines: a 1366x768 console has no height to spare
        inner.setContentsMargins(14, 4, 14, 4)
        inner.setSpacing(0)
        inner.addWidget(self.fault_text)
        inner.addWidget(self.fault_detail)
        self.fault_banner.hide()
        column.addWidget(self.alert_bar)
        column.addWidget(self.fault_banner)
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        return box

    def _timer(self, interval_ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    # --- setup from the app -------------------------------------------------------------------------

    def set_zone(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.queue_page.model.zone = zone
        self.status_page.zone = zone

    def set_identity(self, identity: Identity) -> None:
        self.status_page.set_identity(identity)
        self.identity = identity
        self.retranslate()

    def set_kiosk_mode(self, on: bool) -> None:
        self.kiosk_mode = on
        self.leave_button.setVisible(on and self.guard is not None)

    # --- login --------------------------------------------------------------------------------------

    def refresh_guards(self) -> None:
        self.jobs.read(lambda store: [g.name for g in store.guards.all() if g.active], self.login_page.set_guards)

    def _login(self, name: str, pin: str) -> None:
        self.login_page.set_busy(True)
        now = self.clock()
        self.jobs.write(
            lambda store: guard_actions.login(store, name, pin, now),
            self._login_done,
            lambda error: self.login_page.show_result(LoginResult(LoginOutcome.UNKNOWN), self.zone),
        )

    def _login_done(self, result: LoginResult) -> None:
        self.login_page.show_result(result, self.zone)
        if result.outcome is LoginOutcome.OK and result.guard is not None:
            self.guard = result.guard
            self.stack.setCurrentWidget(self.tabs)
            self.idle.start()
            for timer in self._timers.values():
                timer.start()
            self.refresh_queue()
            self.refresh_status(verify=True)
            self.refresh_stats()
            self.retranslate()
            self.loggedIn.emit(result.guard)

    def logout(self, why: str = "", reason: str = "button") -> None:
        """End the guard's session (`why`: shown on the login page; `reason`: for the audit chain)."""
        guard = self.guard
        if guard is None:
            return
        self.finish_pending()  # a dismiss still in its undo window is written now, in this guard's name
        self.guard = None
        self._audit_logout(guard.id, reason)
        self.idle.stop()
        for timer in self._timers.values():
            timer.stop()
        if self.dialog is not None:
            self.dialog.reject()
            self.dialog = None
        self.queue_page.set_items([])
        self.stack.setCurrentWidget(self.login_page)
        self.login_page.message.setText(why)
        self.refresh_guards()
        self.retranslate()
        self.refresh_queue()  # the alert bar goes on counting
        self.loggedOut.emit()

    def _audit_logout(self, guard_id: int, reason: str) -> None:
        """Put the logout into the audit chain, on the writer thread."""
        now = self.clock()
        try:
            self.jobs.write(
                lambda store: store.guards.note_logout(guard_id, now, reason),
                lambda _none: None,
                lambda error: log.warning("could not audit a guard's logout: %s", error),
            )
        except RuntimeError as exc:  # the writer has already stopped (the kiosk is closing)
            log.warning("could not audit a guard's logout: %s", exc)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        self._watch(self)  # the console's window exists once it is shown
        super().showEvent(event)

    def _watch(self, window: QWidget) -> None:
        """Watch the activity in `window` (the console or one of its dialogs) on its QWindow."""
        handle = window.windowHandle()
        if handle is not None:
            handle.installEventFilter(self)  # once: Qt keeps one entry per filter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Any key, click or touch in the console (or its dialogs) keeps the guard logged in.

        Installed only on the console's window and its dialogs' (`_watch`)."""
        if event.type() in _ACTIVITY and self.guard is not None and not _passing_mouse(event):
            self.idle.start()
        return False

    # --- the queue and actions ----------------------------------------------------------------------

    def refresh_queue(self) -> None:
        """Read today's queue (logged in or not: the alert bar needs it; the list only when logged in)."""
        if "queue" in self._in_flight:
            return
        self._in_flight.add("queue")
        now = self.clock()
        self.jobs.read(lambda store: queue.queue(store, now), self._queue_done, self._read_failed("queue"))

    def _queue_done(self, items: list[QueueItem]) -> None:
        self._in_flight.discard("queue")
        self._items = items
        self._open_items = sum(1 for item in items if item.is_open)
        if self.guard is not None:
            self.queue_page.set_items(items)
        self._tab_titles()
        self._show_summary()

    # --- the alert bar: always on screen ------------------------------------------------------------

    def scan_alert(self, verdict: str) -> None:
        """A new DENY or REFER was recorded (the controller calls this): flash, sound, and a fresh count."""
        self.alerts.append(verdict)
        self.flash_until = self.monotonic() + FLASH_S
        self._set_flash(True)
        self.flash_timer.start()
        if self.alert_sound is not None:
            try:
                self.alert_sound(verdict)
            except Exception:  # sound is a help, never a reason to lose the flash or the count
                log.exception("the console's alert sound failed")
        self.refresh_queue()

    @property
    def flashing(self) -> bool:
        return bool(self.alert_bar.property("flash") == "on")

    def flash_tick(self) -> None:
        """The flash timer's step: on and off until FLASH_S have passed (on the injected clock)."""
        if self.flash_until is None or self.monotonic() >= self.flash_until:
            self.flash_until = None
            self.flash_timer.stop()
            self._set_flash(False)
            return
        self._set_flash(not self.flashing)

    def _set_flash(self, on: bool) -> None:
        value = "on" if on else "off"
        if self.alert_bar.property("flash") != value:
            self.alert_bar.setProperty("flash", value)
            self.alert_bar.style().unpolish(self.alert_bar)
            self.alert_bar.style().polish(self.alert_bar)
            for child in self.alert_bar.findChildren(QWidget):
                child.style().unpolish(child)
                child.style().polish(child)

    def _show_summary(self) -> None:
        """The open count and the newest scan: time, verdict and reason only (no name, no NIK)."""
        count = self._open_items
        self.open_count.setText(self.tr("%n open in the queue", "", count) if count else self.tr("No open scans"))
        newest = max(self._items, key=lambda item: item.at, default=None)
        if newest is None:
            self.newest.setText(self.tr("No denied or referred scan today."))
        else:
            text = f"{newest.local_time} · {labels.verdict(newest.verdict.value)} — {labels.reason(newest.reason)}"
            if not newest.is_open:
                text += " " + self.tr("(handled)")
            self.newest.setText(self.tr("Newest: %1").replace("%1", text))
        self.login_hint.setText("" if self.guard is not None else self.tr("Log in to see names and to act."))

    def set_faults(self, faults: frozenset[str]) -> None:
        """The applicant screen's faults (camera, database, gate): the banner and the status panel."""
        self.faults = faults
        self.status_page.set_faults(faults)
        self._show_faults()

    def set_camera_fault(self, kind: str) -> None:
        """What kind of camera fault (kiosk.vision.watchdog.FaultKind value; "" for none or unknown)."""
        self.camera_kind = kind
        self._show_faults()

    def set_data_state(self, state: DataState) -> None:
        """How fresh the booking data is (the controller reads it every 30 s)."""
        self.data_state = state
        self._show_faults()

    def _show_faults(self) -> None:
        sentences = fault_sentences(
            self.faults, self.camera_kind, self.status_page.gate_state == "fault", self.data_state
        )
        self.fault_banner.setVisible(bool(sentences))
        self.fault_text.setText("⚠ " + "  ·  ".join(sentences) if sentences else "")
        if self.faults:
            detail = self.tr("The applicant screen shows OUT OF ORDER. Details: the Status tab.")
        elif sentences:
            detail = self.tr("Details: the Status tab.")
        else:
            detail = ""
        if "camera" in self.faults:  # what still works, before where to read more
            hint = camera_hint()
            detail = f"{hint[:1].upper()}{hint[1:]}. {detail}"
        self.fault_detail.setText(detail)

    def _read_failed(self, key: str) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            self._in_flight.discard(key)
            log.warning("guard console could not read %s: %s", key, error)

        return failed

    def open_override(self, item: QueueItem) -> None:
        """The override dialog for `item` (window-modal; the action runs when the guard submits)."""
        if self.guard is None:
            return
        persons = max(1, (item.party_size or 1) if item.reason != "ALREADY_ADMITTED" else 1)
        dialog = OverrideDialog(item, persons, self)
        dialog.submitted.connect(
            lambda reason, note, persons: self._act(
                lambda store, gid, now: guard_actions.override(store, item.event_uuid, gid, reason, now, note, persons)
            )
        )
        self._open(dialog)

    def _note(self, item: QueueItem) -> None:
        if self.guard is None:
            return
        dialog = NoteDialog(item, self)
        dialog.submitted.connect(
            lambda text: self._act(
                lambda store, gid, now: guard_actions.add_note(store, item.event_uuid, gid, text, now)
            )
        )
        self._open(dialog)

    def _dismiss(self, item: QueueItem) -> None:
        self._hold("dismiss", item)

    def _acknowledge(self, item: QueueItem) -> None:
        self._hold("ack", item)

    def _hold(self, kind: str, item: QueueItem) -> None:
        """Dismiss or acknowledge after UNDO_S, unless undone: nothing is written before then."""
        guard = self.guard
        if guard is None:
            return
        self.finish_pending()  # one at a time: an earlier one is written now
        self.pending = PendingAction(kind, item.event_uuid, guard.id, self.clock())
        self.queue_page.set_pending(item.event_uuid, self.tr(UNDO_TEXTS[kind], "", UNDO_S))
        self.undo_timer.start()

    def undo_pending(self) -> None:
        """The guard took back a dismiss or acknowledge still in its undo window: nothing is recorded."""
        if self.pending is None:
            return
        self.pending = None
        self.undo_timer.stop()
        self.queue_page.set_pending(None)
        self.queue_page.set_message(self.tr("Undone: nothing was recorded."), ok=True)

    def finish_pending(self) -> None:
        """Write the dismiss or acknowledge waiting for its undo window (the timer, a logout, closing)."""
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        self.undo_timer.stop()
        self.queue_page.set_pending(None)
        action = guard_actions.dismiss if pending.kind == "dismiss" else guard_actions.acknowledge
        try:
            self.jobs.write(
                lambda store: action(store, pending.event_uuid, pending.guard_id, pending.at),
                self._acted,
                self._action_failed,
            )
        except RuntimeError as exc:  # the writer has already stopped
            log.error("could not record a guard's %s of %s: %s", pending.kind, pending.event_uuid, exc)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda _code: self._closed(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self._watch(dialog)

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:  # it is deleted once closed: a logout must not reject it again
            self.dialog = None

    def _act(self, action: Callable[..., ActionResult]) -> None:
        guard = self.guard
        if guard is None:
            return
        self.finish_pending()
        now = self.clock()
        self.jobs.write(lambda store: action(store, guard.id, now), self._acted, self._action_failed)

    def _acted(self, result: ActionResult) -> None:
        texts = {
            "override": self.tr("Admitted: %n person(s). The gate opens.", "", result.persons),
            "dismiss": self.tr("Dismissed."),
            "ack": self.tr("Acknowledged."),
            "note": self.tr("Note saved."),
        }
        self.queue_page.set_message(texts.get(result.kind.value, ""), ok=True)
        self.acted.emit(result)
        self.refresh_queue()
        self.refresh_stats()

    def _action_failed(self, error: BaseException) -> None:
        self.queue_page.set_message(error_text(error), ok=False)
        self.refresh_queue()

    # --- manual entry -------------------------------------------------------------------------------

    def _manual(self, text: str) -> None:
        if self.guard is not None:
            self.queue_page.set_manual_result(self.tr("Checking…"))
            self.manualEntry.emit(text, self.guard.id)

    def show_manual_result(self, recorded: Recorded | None, message: str = "") -> None:
        """What the controller answers for a typed code: the recorded decision, or why it failed."""
        if recorded is None:
            self.queue_page.set_manual_result(message, ok=False)
            return
        decision = recorded.decision
        text = f"{labels.verdict(decision.verdict.value)} — {labels.reason(decision.reason.value)}"
        if decision.persons > 1:
            text += " · " + self.tr("%n people", "", decision.persons)
        self.queue_page.set_manual_result(text, ok=decision.verdict.value == "ADMIT")
        self.queue_page.manual.clear()

    # --- status and statistics ----------------------------------------------------------------------

    def refresh_status(self, verify: bool = False) -> None:
        key = "status+verify" if verify else "status"
        if self.guard is None or key in self._in_flight:
            return
        self._in_flight.add(key)
        now = self.clock()

        def done(status: StoreStatus) -> None:
            self._in_flight.discard(key)
            self.status_page.set_store(status, now)

        self.jobs.read(lambda store: _store_status(store, now, verify), done, self._read_failed(key))

    def refresh_stats(self) -> None:
        """Today's statistics, when the guard looks at them (charts cost a frame to rebuild)."""
        if self.guard is None or "stats" in self._in_flight or self.tabs.currentWidget() is not self.stats_page:
            return
        self._in_flight.add("stats")
        now = self.clock()

        def done(stats: daily.DailyStats) -> None:
            self._in_flight.discard("stats")
            self.stats_page.set_stats(stats)

        self.jobs.read(lambda store: daily.daily_stats(store, now), done, self._read_failed("stats"))

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.stats_page:
            self.refresh_stats()
        elif self.tabs.widget(index) is self.status_page:
            self.refresh_status()

    # --- language, leaving, closing -----------------------------------------------------------------

    def _toggle_language(self) -> None:
        self.lang = Lang.EN if self.lang is Lang.ID else Lang.ID
        self.languageChanged.emit(self.lang)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        identity = self.identity
        place = f" — {identity.office_code} · {identity.gate}" if identity else ""
        self.header_title.setText(self.tr("Guard console") + place)
        self.setWindowTitle(self.tr("Guard console") + place)
        self.who.setText(self.tr("Logged in: %1").replace("%1", self.guard.name) if self.guard else "")
        self.language.setText("English" if self.lang is Lang.ID else "Bahasa Indonesia")
        self.logout_button.setText(self.tr("Log out"))
        self.logout_button.setVisible(self.guard is not None)
        self.leave_button.setText(self.tr("Leave kiosk mode"))
        self.leave_button.setVisible(self.kiosk_mode and self.guard is not None)
        self._tab_titles()
        self._show_summary()
        self._show_faults()

    def _tab_titles(self) -> None:
        count = self._open_items
        self.tabs.setTabText(0, self.tr("Queue (%n open)", "", count) if count else self.tr("Queue"))
        self.tabs.setTabText(1, self.tr("Status"))
        self.tabs.setTabText(2, self.tr("Statistics"))

    def _confirm_leave(self) -> None:
        guard = self.guard
        if guard is None:
            return
        dialog = PinDialog(guard.name, self.tr("Leave kiosk mode and close the kiosk?"), self)

        def check(pin: str) -> None:
            now = self.clock()
            self.jobs.write(lambda store: guard_actions.login(store, guard.name, pin, now, "leave"), result, failed)

        def result(outcome: LoginResult) -> None:
            if outcome.outcome is LoginOutcome.OK:
                dialog.accept()
                self.leaveKiosk.emit()
            elif outcome.outcome is LoginOutcome.WRONG_PIN:
                dialog.set_error(self.tr("Wrong PIN. %n more wrong PIN(s) lock you out.", "", outcome.tries_left))
            else:
                dialog.reject()
                self.logout(self.tr("Too many wrong PINs: logged out."), "locked")

        def failed(error: BaseException) -> None:
            dialog.set_error(error_text(error))

        dialog.submitted.connect(check)
        self._open(dialog)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """In kiosk mode the console is not closed, only hidden (Ctrl+Alt+G on the kiosk brings it back)."""
        self.finish_pending()
        if self.kiosk_mode:
            event.ignore()
            self.logout("", "closed")
            self.hide()
            return
        event.accept()

    def shutdown(self) -> None:
        """Stop the console's timers and filters (at exit, before the workers stop); a dismiss or
        acknowledge still in its undo window is written now."""
        self.finish_pending()
        for timer in (*self._timers.values(), self.summary_timer, self.flash_timer, self.undo_timer):
            timer.stop()
        self.idle.stop()
        for window in QGuiApplication.allWindows():
            window.removeEventFilter(self)


def _store_status(store: KioskStore, now: dt.datetime, verify: bool) -> StoreStatus:
    """The status panel's figures (a store job). A verification checks the chain against the server's
    receipts whose signatures verify with the pinned keys, as `kiosk audit verify` does."""
    if not verify:
        return store_status(store, now)
    checked = anchoring.checked_receipts(store)
    return store_status(store, now, True, checked.receipts, checked.problems)
