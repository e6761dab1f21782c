"""The guard console's queue: denied and referred scans, newest first, with the actions and manual entry.

New rows never move the row under the pointer or the selection: while the pointer is over the list the
rows are only updated in place (new and re-sorted rows wait, and the count says so) until it leaves;
otherwise the selected scan keeps its identity and its place in the viewport (the list scrolls by the
height of what came in above it, where there is room to scroll)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.payload import MAX_PAYLOAD_BYTES
from kiosk.store.queue import QueueItem
from kiosk.ui import labels
from kiosk.ui.dialogs import scan_summary
from kiosk.ui.queue_model import COLUMN_WIDTHS, COLUMNS, MIN_WIDTHS, NAME_COLUMN, QueueModel, status_text
from kiosk.ui.widgets import button, frame, label


class QueuePage(QWidget):
    """The live queue with the selected scan's details and the actions on it, and manual code entry."""

    overrideRequested = Signal(object)  # QueueItem
    dismissRequested = Signal(object)
    acknowledgeRequested = Signal(object)
    noteRequested = Signal(object)
    manualRequested = Signal(str)
    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QueueModel(self)
        self.selected: QueueItem | None = None
        self._items: list[QueueItem] = []
        #: The scan whose dismiss or acknowledge waits for its undo window (its buttons are off).
        self.pending: str | None = None
        #: The pointer is over the list: rows are updated in place only, new ones wait (`held`).
        self.hovering = False
        self.held = 0

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

        self.table = self._table()

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self._detail_panel())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([1180, 380])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.addLayout(manual_row)
        layout.addWidget(self.manual_result)
        layout.addLayout(filter_row)
        layout.addWidget(splitter, 1)
        self.retranslate()
        self._show_detail()

    def _table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)  # exact anchoring
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setMinimumSectionSize(40)
        header.setStretchLastSection(False)
        # Fixed widths: measuring every row's contents at each refresh costs the GUI thread a frame.
        # They are fitted to the table's width (`fit_columns`), the name column never below its minimum.
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        table.viewport().installEventFilter(self)
        return table

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
        self.undo = button("undo")
        self.undo.clicked.connect(self.undoRequested)
        self.undo.hide()
        buttons = QGridLayout()
        for n, widget in enumerate((self.admit, self.acknowledge, self.dismiss, self.note)):
            buttons.addWidget(widget, n // 2, n % 2)
        layout = QVBoxLayout(panel)
        layout.addWidget(self.detail_title)
        layout.addLayout(self.detail_form)
        layout.addWidget(self.detail_status)
        layout.addWidget(self.detail_notes)
        layout.addStretch(1)
        message_row = QHBoxLayout()  # the undo button beside what it undoes, in one row
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.undo, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(message_row)
        layout.addLayout(buttons)
        return panel

    # --- data ---------------------------------------------------------------------------------------

    def set_items(self, items: list[QueueItem], force: bool = False) -> None:
        """Show `items`, keeping the selected scan selected and where it is on screen (it may have moved
        or been resolved). The same rows again (the periodic refresh, mostly) change nothing; while the
        pointer is over the list only rows already shown are updated, in place."""
        if items == self._items and not force and self.model.items:
            return
        self._items = items
        shown = items if self.show_resolved.isChecked() else [i for i in items if i.is_open]
        if self.hovering and self.model.items and not force:
            self._update_in_place(shown)
        else:
            self._replace(shown)
        self._show_count()
        self._show_detail()

    def _replace(self, shown: list[QueueItem]) -> None:
        self.held = 0
        keep = self.selected.event_uuid if self.selected else None
        anchor = self._anchor(keep)
        self.model.set_items(shown)
        row = self.model.row_of(keep) if keep else None
        if row is None and shown and shown[0].is_open and keep is None:
            row = 0  # nothing selected yet: the newest open scan
        selection = self.table.selectionModel()
        selection.blockSignals(True)  # the same scan stays selected: no "selection changed"
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.selectRow(row)
            self.selected = self.model.items[row]
        else:
            self.table.clearSelection()
            self.selected = None
        selection.blockSignals(False)
        self._restore(anchor)

    def _update_in_place(self, shown: list[QueueItem]) -> None:
        """The pointer is over the list: rows keep their places; what is new waits for it to leave."""
        fresh = {item.event_uuid: item for item in shown}
        updated = [fresh.get(item.event_uuid, item) for item in self.model.items]
        self.held = sum(1 for uuid in fresh if self.model.row_of(uuid) is None)
        self.model.update_in_place(updated)
        if self.selected is not None:
            self.selected = fresh.get(self.selected.event_uuid, self.selected)

    def _anchor(self, keep: str | None) -> tuple[str, int] | None:
        """The scan to hold still on screen, and its row's top in the viewport: the selected one, when
        it is in view."""
        if keep is None:
            return None
        row = self.model.row_of(keep)
        if row is None:
            return None
        top = self.table.rowViewportPosition(row)
        if top < 0 or top > self.table.viewport().height():
            return None
        return keep, top

    def _restore(self, anchor: tuple[str, int] | None) -> None:
        if anchor is None:
            return
        row = self.model.row_of(anchor[0])
        if row is None:
            return
        bar = self.table.verticalScrollBar()
        bar.setValue(bar.value() + self.table.rowViewportPosition(row) - anchor[1])

    def set_hovering(self, hovering: bool) -> None:
        """The pointer entered or left the list (the viewport's enter and leave events call this)."""
        if hovering == self.hovering:
            return
        self.hovering = hovering
        if not hovering and (self.held or [i.event_uuid for i in self.model.items] != self._shown_uuids()):
            self.set_items(self._items, force=True)  # what waited comes in now

    def _shown_uuids(self) -> list[str]:
        shown = self._items if self.show_resolved.isChecked() else [i for i in self._items if i.is_open]
        return [item.event_uuid for item in shown]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        table = getattr(self, "table", None)
        if table is not None and watched is table.viewport():
            if event.type() == QEvent.Type.Enter:
                self.set_hovering(True)
            elif event.type() == QEvent.Type.Leave:
                self.set_hovering(False)
            elif event.type() == QEvent.Type.Resize:
                self.fit_columns()
        return False

    def fit_columns(self) -> None:
        """Fit the columns to the table's width: each keeps at least its minimum (the name is never cut
        to a letter); the space beyond goes to the name and result columns."""
        header = self.table.horizontalHeader()
        width = self.table.viewport().width()
        extra = max(width - sum(MIN_WIDTHS), 0)
        wanted = sum(COLUMN_WIDTHS) - sum(MIN_WIDTHS)
        widths = list(MIN_WIDTHS)
        if extra >= wanted:
            widths = list(COLUMN_WIDTHS)
            widths[NAME_COLUMN] += extra - wanted
        else:  # share what there is in proportion to what each column would like beyond its minimum
            for column in range(len(COLUMNS)):
                widths[column] += (COLUMN_WIDTHS[column] - MIN_WIDTHS[column]) * extra // max(wanted, 1)
        for column, size in enumerate(widths):
            if header.sectionSize(column) != size:
                header.resizeSection(column, size)

    def set_pending(self, event_uuid: str | None, text: str = "") -> None:
        """A dismiss or acknowledge of `event_uuid` waits for its undo window (None: no longer)."""
        self.pending = event_uuid
        self.undo.setVisible(event_uuid is not None)
        if event_uuid is not None:
            self.set_message(text, ok=True)
        self._show_detail()

    def _show_count(self) -> None:
        items = self._items
        open_count = sum(1 for item in items if item.is_open)
        text = self.tr("%n open", "", open_count) + " · " + self.tr("%n today", "", len(items))
        if self.held:
            text += " · " + self.tr("%n new: move the pointer off the list to see it", "", self.held)
        self.count.setText(text)

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
        self.undo.setText(self.tr("Undo"))
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
        waiting = item is not None and item.event_uuid == self.pending
        for widget in (self.admit, self.acknowledge, self.dismiss):
            widget.setEnabled(item is not None and item.is_open and not waiting)
        self.note.setEnabled(item is not None)
        if item is None:
            self.detail_title.setText(self.tr("Select a scan in the list."))
            self.detail_status.clear()
            self.detail_notes.clear()
            return
        self.detail_title.setText(f"{labels.verdict(item.verdict.value)} — {labels.reason(item.reason)}")
        self._set_detail_rows([(name + ":", value) for name, value in scan_summary(item, with_result=False)])
        self.detail_status.setText(self.tr("Status: %1").replace("%1", status_text(item, self.model.zone)))
        zone = self.model.zone
        notes = [
            f"{n.guard_name} {n.at.astimezone(zone) if zone else n.at:%H.%M}: {labels.note(n.text)}" for n in item.notes
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
