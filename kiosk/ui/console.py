"""The guard console: PIN login, the live queue of denied and referred scans with the guard's actions,
manual code entry, the status panel and today's statistics.

Every guard action goes through the writer thread into the store, down the same path as a scan (event,
outbox row, audit entry in one transaction); the console only shows what the store answers. Reads run
on the reader thread. Nothing here touches the database, the disk or the network itself.

The window assembles its parts:
- kiosk/ui/console_alerts.py: the alert bar under the header, on screen whoever is logged in (and before
  the first login): the open count, the newest scan, a banner for each fault; it flashes for a new DENY
  or REFER, with a sound where there is one;
- kiosk/ui/console_queue.py: the guard's actions on the queue (dismiss and acknowledge with their undo
  window) and manual entry; the list itself is kiosk/ui/queue_page.py;
- kiosk/ui/console_session.py: the guard's session: what keeps a guard logged in (the console logs out
  after a quiet spell, `idle_logout_s`), the logout's audit entry, leaving kiosk mode with the PIN again;
  the login page is kiosk/ui/login_page.py;
- the status and statistics tabs: kiosk/ui/status.py and kiosk/ui/stats.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from kiosk.domain.clock import WallClock
from kiosk.domain.explain import Lang
from kiosk.store import guard_actions
from kiosk.store.guard_actions import LoginOutcome, LoginResult
from kiosk.store.guards import Guard
from kiosk.store.queue import QueueItem
from kiosk.store.recorder import Recorded
from kiosk.store.settings import Identity
from kiosk.ui.console_alerts import AlertBar
from kiosk.ui.console_queue import QueueActions
from kiosk.ui.console_reads import ConsoleReads
from kiosk.ui.console_session import ask_to_leave, audit_logout, is_activity
from kiosk.ui.jobs import Jobs
from kiosk.ui.login_page import LoginPage
from kiosk.ui.queue_page import QueuePage
from kiosk.ui.stats import StatsPage
from kiosk.ui.status import DataState, StatusPage
from kiosk.ui.widgets import Tabs, button, frame, label

log = logging.getLogger(__name__)

IDLE_LOGOUT_S = 120


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
        self.dialog: QDialog | None = None
        self._open_items = 0
        #: Today's denied and referred scans as last read (the alert bar's count and newest scan).
        self._items: list[QueueItem] = []
        #: Plays the alert for a new DENY or REFER (verdict value); None: silent.
        self.alert_sound: Callable[[str], None] | None = None
        #: The new DENY and REFER scans the console was told of (verdict values), newest last.
        self.alerts: list[str] = []
        self.faults: frozenset[str] = frozenset()
        self.camera_kind = ""
        self.data_state = DataState()

        # read at each use: the kiosk sets `monotonic` after building the console
        self.alert_bar = AlertBar(lambda: self.monotonic(), self)  # noqa: PLW0108
        self.open_count = self.alert_bar.open_count
        self.newest = self.alert_bar.newest
        self.fault_banner = self.alert_bar.fault_banner
        self.fault_text = self.alert_bar.fault_text
        self.fault_detail = self.alert_bar.fault_detail
        self.flash_timer = self.alert_bar.flash_timer
        self.setCentralWidget(self._build())
        self.queue_actions = QueueActions(self)
        self.undo_timer = self.queue_actions.undo_timer

        self.status_page.verifyRequested.connect(lambda: self.refresh_status(verify=True))
        self.status_page.syncRequested.connect(self.syncRequested)
        self.stats_page.refreshRequested.connect(self.refresh_stats)
        self.stats_page.exportRequested.connect(self.exportRequested)

        self.idle = QTimer(self, singleShot=True)
        self.idle.setInterval(max(idle_logout_s, 1) * 1000)
        self.idle.timeout.connect(lambda: self.logout(self.tr("Logged out after a quiet spell."), "idle"))
        self.reads = ConsoleReads(self)
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
        layout.addWidget(self.alert_bar.box)
        body = QVBoxLayout()
        body.setContentsMargins(8, 8, 8, 8)
        body.addWidget(self.stack)
        layout.addLayout(body, 1)
        return central

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
            for timer in self.reads.timers.values():
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
        audit_logout(self.jobs, guard.id, reason, self.clock())
        self.idle.stop()
        for timer in self.reads.timers.values():
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
        if is_activity(event) and self.guard is not None:
            self.idle.start()
        return False

    # --- the queue and actions ----------------------------------------------------------------------

    def refresh_queue(self) -> None:
        """Read today's queue (logged in or not: the alert bar needs it; the list only when logged in)."""
        self.reads.queue()

    def show_queue(self, items: list[QueueItem]) -> None:
        """Today's queue as read: the alert bar's count and newest scan, the list for a guard logged in."""
        self._items = items
        self._open_items = sum(1 for item in items if item.is_open)
        if self.guard is not None:
            self.queue_page.set_items(items)
        self._tab_titles()
        self._show_summary()

    # --- the alert bar: always on screen (kiosk/ui/console_alerts.py) -------------------------------

    def scan_alert(self, verdict: str) -> None:
        """A new DENY or REFER was recorded (the controller calls this): flash, sound, and a fresh count."""
        self.alerts.append(verdict)
        self.alert_bar.flash()
        if self.alert_sound is not None:
            try:
                self.alert_sound(verdict)
            except Exception:  # sound is a help, never a reason to lose the flash or the count
                log.exception("the console's alert sound failed")
        self.refresh_queue()

    @property
    def flashing(self) -> bool:
        return self.alert_bar.flashing

    def flash_tick(self) -> None:
        """The flash timer's step (see AlertBar.flash_tick)."""
        self.alert_bar.flash_tick()

    def _show_summary(self) -> None:
        """The open count and the newest scan (no name, no NIK); why the login page's list names nobody."""
        self.alert_bar.show_summary(self._items, self._open_items)
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
        gate_fault = self.status_page.gate_state == "fault"
        self.alert_bar.show_faults(self.faults, self.camera_kind, gate_fault, self.data_state)

    # --- the guard's actions on the queue (kiosk/ui/console_queue.py) -------------------------------

    def open_override(self, item: QueueItem) -> None:
        """The override dialog for `item` (window-modal; the action runs when the guard submits)."""
        self.queue_actions.open_override(item)

    def finish_pending(self) -> None:
        """Write the dismiss or acknowledge waiting for its undo window (the timer, a logout, closing)."""
        self.queue_actions.finish_pending()

    def show_manual_result(self, recorded: Recorded | None, message: str = "") -> None:
        """What the controller answers for a typed code: the recorded decision, or why it failed."""
        self.queue_actions.show_manual_result(recorded, message)

    def open_dialog(self, dialog: QDialog) -> None:
        """Open one of the console's dialogs window-modal, its activity watched (closed at a logout)."""
        self.dialog = dialog
        dialog.finished.connect(lambda _code: self._closed(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self._watch(dialog)

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:  # it is deleted once closed: a logout must not reject it again
            self.dialog = None

    # --- status and statistics ----------------------------------------------------------------------

    def refresh_status(self, verify: bool = False) -> None:
        """Read the status panel's figures (`verify`: with the audit chain checked against the receipts)."""
        self.reads.status(verify)

    def refresh_stats(self) -> None:
        """Read today's statistics, when the guard looks at them (charts cost a frame to rebuild)."""
        self.reads.stats()

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
        self.open_dialog(ask_to_leave(self, guard))

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
        for timer in (*self.reads.timers.values(), self.reads.summary_timer, self.flash_timer, self.undo_timer):
            timer.stop()
        self.idle.stop()
        for window in QGuiApplication.allWindows():
            window.removeEventFilter(self)
