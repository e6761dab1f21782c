"""The guard console: PIN login, the live queue of denied and referred scans with the guard's actions,
manual code entry, the status panel and today's statistics.

Every guard action goes through the writer thread into the store, down the same path as a scan (event,
outbox row, audit entry in one transaction); the console only shows what the store answers. Reads run
on the reader thread. Nothing here touches the database, the disk or the network itself.

Login is per guard with a personal PIN (the store counts wrong PINs and locks the guard out after
five); the console logs out after a quiet spell (`idle_logout_s`). In kiosk mode, leaving needs the
logged-in guard's PIN again.

The quiet spell is watched by an event filter on the console's own windows (the console's QWindow and
each dialog's), which receive every key, click and touch before any widget does; not on the application,
where it would be called, in Python, for every event of every object of the kiosk.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QMouseEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.explain import Lang
from kiosk.domain.payload import MAX_PAYLOAD_BYTES
from kiosk.store import actions
from kiosk.store.actions import (
    ActionError,
    ActionResult,
    AlreadyResolvedError,
    LoginOutcome,
    LoginResult,
    QueueItem,
)
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.guards import Guard
from kiosk.store.recorder import Recorded
from kiosk.store.settings import Identity
from kiosk.sync import anchoring
from kiosk.ui import labels
from kiosk.ui.dialogs import NoteDialog, OverrideDialog, PinDialog, pin_field, scan_summary
from kiosk.ui.jobs import Jobs
from kiosk.ui.queue_model import COLUMN_WIDTHS, NAME_COLUMN, QueueModel, status_text
from kiosk.ui.stats import StatsPage
from kiosk.ui.status import StatusPage
from kiosk.ui.widgets import Tabs, button, frame, label

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

IDLE_LOGOUT_S = 120
QUEUE_REFRESH_MS = 10_000
STATUS_REFRESH_MS = 5_000
STATS_REFRESH_MS = 60_000
AUDIT_VERIFY_MS = 10 * 60_000
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
        return text.replace("%1", str(error))
    if isinstance(error, ActionError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class LoginPage(QWidget):
    submitted = Signal(str, str)  # guard name, PIN

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label("pageTitle")
        self.hint = label("hint")  # no word wrap: a wrapped label makes the card's layout squeeze the fields
        self.guard = QComboBox()
        self.guard.setMinimumWidth(320)
        self.pin = pin_field()
        self.pin.returnPressed.connect(self._submit)
        self.login = button("primary")
        self.login.clicked.connect(self._submit)
        self.message = label("error", wrap=True)
        self.guard_label = label()
        self.pin_label = label()
        card = frame("card")
        card.setMinimumWidth(480)
        self.guard.setMinimumHeight(38)
        self.pin.setMinimumHeight(50)
        form = QGridLayout()
        form.setVerticalSpacing(14)
        form.setHorizontalSpacing(14)
        for row, (name, field) in enumerate(((self.guard_label, self.guard), (self.pin_label, self.pin))):
            form.addWidget(name, row, 0, Qt.AlignmentFlag.AlignVCenter)
            form.addWidget(field, row, 1)
        form.setColumnStretch(1, 1)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.addWidget(self.title)
        inner.addWidget(self.hint)
        inner.addSpacing(10)
        inner.addLayout(form)
        inner.addWidget(self.message)
        inner.addWidget(self.login, 0, Qt.AlignmentFlag.AlignRight)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.retranslate()

    def set_guards(self, names: list[str]) -> None:
        current = self.guard.currentText()
        self.guard.clear()
        self.guard.addItems(names)
        if current in names:
            self.guard.setCurrentText(current)
        self.login.setEnabled(bool(names))
        if not names:
            self.message.setText(self.tr("No guard is registered. Add one with `kiosk guard add`."))

    def set_busy(self, busy: bool) -> None:
        self.login.setEnabled(not busy and self.guard.count() > 0)
        self.pin.setEnabled(not busy)
        if busy:
            self.message.setText(self.tr("Checking the PIN…"))

    def show_result(self, result: LoginResult, zone: ZoneInfo | None) -> None:
        self.set_busy(False)
        self.pin.clear()
        if result.outcome is LoginOutcome.OK:
            self.message.clear()
            return
        if result.outcome is LoginOutcome.WRONG_PIN:
            text = self.tr("Wrong PIN. %n more wrong PIN(s) lock this guard out for 5 minutes.", "", result.tries_left)
        elif result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
            until = result.locked_until.astimezone(zone) if zone else result.locked_until
            text = self.tr("Too many wrong PINs: this guard is locked out until %1.").replace("%1", f"{until:%H.%M}")
        elif result.outcome is LoginOutcome.DISABLED:
            text = self.tr("This guard is disabled.")
        else:
            text = self.tr("Unknown guard.")
        self.message.setText(text)
        self.pin.setFocus()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Guard login"))
        self.hint.setText(self.tr("Choose your name and enter your personal PIN.\nNever share your PIN."))
        self.guard_label.setText(self.tr("Guard"))
        self.pin_label.setText(self.tr("PIN"))
        self.login.setText(self.tr("Log in"))

    def _submit(self) -> None:
        if self.login.isEnabled() and self.pin.text() and self.guard.currentText():
            self.submitted.emit(self.guard.currentText(), self.pin.text())


class QueuePage(QWidget):
    """The live queue with the selected scan's details and the actions on it, and manual code entry."""

    overrideRequested = Signal(object)  # noqa: N815 - QueueItem
    dismissRequested = Signal(object)  # noqa: N815
    acknowledgeRequested = Signal(object)  # noqa: N815
    noteRequested = Signal(object)  # noqa: N815
    manualRequested = Signal(str)  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QueueModel(self)
        self.selected: QueueItem | None = None
        self._items: list[QueueItem] = []

        self.manual_label = label("sectionTitle")
        self.manual = QLineEdit()
        self.manual.setMaxLength(MAX_PAYLOAD_BYTES)
        self.manual.returnPressed.connect(self._manual)
        self.manual_button = button("primary")
        self.manual_button.clicked.connect(self._manual)
        self.manual_result = label("hint", wrap=True)
        manual_row = QHBoxLayout()
        manual_row.addWidget(self.manual_label)
        manual_row.addWidget(self.manual, 1)
        manual_row.addWidget(self.manual_button)

        self.show_resolved = QCheckBox()
        self.show_resolved.setChecked(True)
        self.show_resolved.toggled.connect(lambda _on: self.set_items(self._items, force=True))
        self.count = label("sectionTitle")
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.count)
        filter_row.addStretch(1)
        filter_row.addWidget(self.show_resolved)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(40)
        # Fixed widths: measuring every row's contents at each refresh costs the GUI thread a frame.
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self._detail_panel())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([1180, 380])

        layout = QVBoxLayout(self)
        layout.addLayout(manual_row)
        layout.addWidget(self.manual_result)
        layout.addLayout(filter_row)
        layout.addWidget(splitter, 1)
        self.retranslate()
        self._show_detail()

    def _detail_panel(self) -> QWidget:
        panel = frame("detail")
        panel.setMinimumWidth(360)
        self.detail_title = label("pageTitle", wrap=True)
        self.detail_form = QFormLayout()
        self.detail_status = label("sectionTitle", wrap=True)
        self.detail_notes = label("hint", wrap=True)
        self.admit = button("admit")
        self.acknowledge = button()
        self.dismiss = button("danger")
        self.note = button()
        self.admit.clicked.connect(lambda: self._request(self.overrideRequested))
        self.acknowledge.clicked.connect(lambda: self._request(self.acknowledgeRequested))
        self.dismiss.clicked.connect(lambda: self._request(self.dismissRequested))
        self.note.clicked.connect(lambda: self._request(self.noteRequested))
        self.message = label("", wrap=True)
        buttons = QGridLayout()
        for n, widget in enumerate((self.admit, self.acknowledge, self.dismiss, self.note)):
            buttons.addWidget(widget, n // 2, n % 2)
        layout = QVBoxLayout(panel)
        layout.addWidget(self.detail_title)
        layout.addLayout(self.detail_form)
        layout.addWidget(self.detail_status)
        layout.addWidget(self.detail_notes)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        return panel

    # --- data ---------------------------------------------------------------------------------------

    def set_items(self, items: list[QueueItem], force: bool = False) -> None:
        """Replace the rows, keeping the selected scan selected (it may have moved or been resolved).
        The same rows again (the periodic refresh, mostly) change nothing."""
        if items == self._items and not force and self.model.items:
            return
        self._items = items
        keep = self.selected.event_uuid if self.selected else None
        shown = items if self.show_resolved.isChecked() else [i for i in items if i.is_open]
        self.model.set_items(shown)
        open_count = sum(1 for item in items if item.is_open)
        self.count.setText(self.tr("%n open", "", open_count) + " · " + self.tr("%n today", "", len(items)))
        row = self.model.row_of(keep) if keep else None
        if row is None and shown and shown[0].is_open:
            row = 0  # nothing selected yet: the newest open scan
        if row is not None:
            self.table.selectRow(row)
            self.selected = self.model.items[row]
        else:
            self.table.clearSelection()
            self.selected = None
        self._show_detail()

    def set_message(self, text: str, ok: bool) -> None:
        self.message.setObjectName("ok" if ok else "error")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def set_manual_result(self, text: str, ok: bool = True) -> None:
        self.manual_result.setObjectName("ok" if ok else "error")
        self.manual_result.style().unpolish(self.manual_result)
        self.manual_result.style().polish(self.manual_result)
        self.manual_result.setText(text)

    # --- rendering ----------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.manual_label.setText(self.tr("Type a code:"))
        self.manual.setPlaceholderText(self.tr("a code the camera cannot read, e.g. MP7K-Q2XA-T3M9"))
        self.manual_button.setText(self.tr("Check code"))
        self.show_resolved.setText(self.tr("Show resolved scans"))
        self.admit.setText(self.tr("Admit…"))
        self.admit.setToolTip(self.tr("Let the applicant in, with a reason from the list."))
        self.acknowledge.setText(self.tr("Acknowledge"))
        self.acknowledge.setToolTip(self.tr("Seen and dealt with: the refusal stands."))
        self.dismiss.setText(self.tr("Dismiss"))
        self.dismiss.setToolTip(self.tr("Close without action (a misread, the applicant left)."))
        self.note.setText(self.tr("Add note…"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1)
        self.set_items(self._items, force=True)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = [index.row() for index in selected.indexes()]
        before = self.selected.event_uuid if self.selected else None
        self.selected = self.model.items[rows[0]] if rows and rows[0] < len(self.model.items) else None
        if (self.selected.event_uuid if self.selected else None) != before:
            self.message.clear()  # a message is about the scan it was given for
        self._show_detail()

    def _show_detail(self) -> None:
        item = self.selected
        if item is None:
            self._set_detail_rows([])
        for widget in (self.admit, self.acknowledge, self.dismiss):
            widget.setEnabled(item is not None and item.is_open)
        self.note.setEnabled(item is not None)
        if item is None:
            self.detail_title.setText(self.tr("Select a scan in the list."))
            self.detail_status.clear()
            self.detail_notes.clear()
            return
        self.detail_title.setText(f"{labels.verdict(item.verdict.value)} — {labels.reason(item.reason)}")
        self._set_detail_rows([(name + ":", value) for name, value in scan_summary(item, with_result=False)])
        self.detail_status.setText(self.tr("Status: %1").replace("%1", status_text(item, self.model.zone)))
        notes = [
            f"{n.guard_name} {n.at.astimezone(self.model.zone) if self.model.zone else n.at:%H.%M}: {n.text}"
            for n in item.notes
        ]
        self.detail_notes.setText("\n".join(notes))

    def _set_detail_rows(self, rows: list[tuple[str, str]]) -> None:
        """Fill the detail form; with as many rows as before only the texts change, so a new scan
        arriving in the queue does not rebuild the pane (new widgets mean a new layout and a repaint
        of the whole page on the GUI thread)."""
        form = self.detail_form
        if form.rowCount() != len(rows):
            while form.rowCount():
                form.removeRow(0)
            for name, value in rows:
                form.addRow(label(text=name), label(text=value, wrap=True))
            return
        for row, (name, value) in enumerate(rows):
            for role, text in ((QFormLayout.ItemRole.LabelRole, name), (QFormLayout.ItemRole.FieldRole, value)):
                cell = form.itemAt(row, role)
                widget = cell.widget() if cell is not None else None
                if isinstance(widget, QLabel):
                    widget.setText(text)

    def _request(self, signal: SignalInstance) -> None:
        if self.selected is not None:
            signal.emit(self.selected)

    def _manual(self) -> None:
        text = self.manual.text()
        if text.strip():
            self.manualRequested.emit(text)


class GuardConsole(QMainWindow):
    acted = Signal(object)  # ActionResult: a scan was resolved or annotated
    manualEntry = Signal(str, int)  # noqa: N815 - code text, guard id
    languageChanged = Signal(object)  # noqa: N815 - Lang
    leaveKiosk = Signal()  # noqa: N815 - a guard confirmed leaving kiosk mode with the PIN
    loggedIn = Signal(object)  # noqa: N815 - Guard
    loggedOut = Signal()  # noqa: N815
    syncRequested = Signal()  # noqa: N815
    exportRequested = Signal()  # noqa: N815

    def __init__(
        self,
        jobs: Jobs,
        clock: Clock,
        *,
        lang: Lang = Lang.ID,
        idle_logout_s: int = IDLE_LOGOUT_S,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("console")
        self.jobs = jobs
        self.clock = clock
        self.lang = lang
        self.guard: Guard | None = None
        self.zone: ZoneInfo | None = None
        self.kiosk_mode = False
        self.identity: Identity | None = None
        self._in_flight: set[str] = set()
        self.dialog: QDialog | None = None
        self._open_items = 0

        self.setCentralWidget(self._build())

        self.queue_page.overrideRequested.connect(self.open_override)
        self.queue_page.dismissRequested.connect(self._dismiss)
        self.queue_page.acknowledgeRequested.connect(self._acknowledge)
        self.queue_page.noteRequested.connect(self._note)
        self.queue_page.manualRequested.connect(self._manual)
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
        QShortcut(QKeySequence("Ctrl+L"), self, lambda: self.logout("", "button"))
        self.resize(1400, 900)
        self.retranslate()
        self.refresh_guards()

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
        row.addSpacing(20)
        row.addWidget(self.open_count)
        row.addStretch(1)
        row.addWidget(self.who)
        for widget in (self.language, self.logout_button, self.leave_button):
            row.addWidget(widget)

        self.login_page = LoginPage()
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
        layout.addWidget(self.header)
        body = QVBoxLayout()
        body.setContentsMargins(12, 12, 12, 12)
        body.addWidget(self.stack)
        layout.addLayout(body, 1)
        return central

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
        self.jobs.read(lambda store: [g.name for g in store.guards() if g.active], self.login_page.set_guards)

    def _login(self, name: str, pin: str) -> None:
        self.login_page.set_busy(True)
        now = self.clock()
        self.jobs.write(
            lambda store: actions.login(store, name, pin, now),
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
        self.loggedOut.emit()

    def _audit_logout(self, guard_id: int, reason: str) -> None:
        """Put the logout into the audit chain, on the writer thread."""
        now = self.clock()
        try:
            self.jobs.write(
                lambda store: store.note_guard_logout(guard_id, now, reason),
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
        if self.guard is None or "queue" in self._in_flight:
            return
        self._in_flight.add("queue")
        now = self.clock()
        self.jobs.read(lambda store: actions.queue(store, now), self._queue_done, self._read_failed("queue"))

    def _queue_done(self, items: list[QueueItem]) -> None:
        self._in_flight.discard("queue")
        if self.guard is None:
            return
        self.queue_page.set_items(items)
        self._open_items = sum(1 for item in items if item.is_open)
        self._tab_titles()

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
                lambda store, gid, now: actions.override(store, item.event_uuid, gid, reason, now, note, persons)
            )
        )
        self._open(dialog)

    def _note(self, item: QueueItem) -> None:
        if self.guard is None:
            return
        dialog = NoteDialog(item, self)
        dialog.submitted.connect(
            lambda text: self._act(lambda store, gid, now: actions.add_note(store, item.event_uuid, gid, text, now))
        )
        self._open(dialog)

    def _dismiss(self, item: QueueItem) -> None:
        self._act(lambda store, gid, now: actions.dismiss(store, item.event_uuid, gid, now))

    def _acknowledge(self, item: QueueItem) -> None:
        self._act(lambda store, gid, now: actions.acknowledge(store, item.event_uuid, gid, now))

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

        def done(status: actions.StoreStatus) -> None:
            self._in_flight.discard(key)
            self.status_page.set_store(status, now)

        self.jobs.read(lambda store: _store_status(store, now, verify), done, self._read_failed(key))

    def refresh_stats(self) -> None:
        """Today's statistics, when the guard looks at them (charts cost a frame to rebuild)."""
        if self.guard is None or "stats" in self._in_flight or self.tabs.currentWidget() is not self.stats_page:
            return
        self._in_flight.add("stats")
        now = self.clock()

        def done(stats: actions.DailyStats) -> None:
            self._in_flight.discard("stats")
            self.stats_page.set_stats(stats)

        self.jobs.read(lambda store: actions.daily_stats(store, now), done, self._read_failed("stats"))

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

    def _tab_titles(self) -> None:
        count = self._open_items if self.guard is not None else 0
        self.open_count.setText(self.tr("%n open in the queue", "", count) if count else "")
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
            self.jobs.write(lambda store: actions.login(store, guard.name, pin, now, "leave"), result, failed)

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
        if self.kiosk_mode:
            event.ignore()
            self.logout("", "closed")
            self.hide()
            return
        event.accept()

    def shutdown(self) -> None:
        """Stop the console's timers and filters (at exit, before the workers stop)."""
        for timer in self._timers.values():
            timer.stop()
        self.idle.stop()
        for window in QGuiApplication.allWindows():
            window.removeEventFilter(self)


def _store_status(store: KioskStore, now: dt.datetime, verify: bool) -> actions.StoreStatus:
    """The status panel's figures (a store job). A verification checks the chain against the server's
    receipts whose signatures verify with the pinned keys, as `kiosk audit verify` does."""
    if not verify:
        return actions.store_status(store, now)
    checked = anchoring.checked_receipts(store)
    return actions.store_status(store, now, True, checked.receipts, checked.problems)
