"""The guard's queue as a Qt table model: today's denied and referred scans, open ones first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from kiosk.domain.model import Verdict
from kiosk.store.queue import QueueItem
from kiosk.ui import labels
from kiosk.ui.labels import QT_TRANSLATE_NOOP

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("time", "result", "code", "name", "nik", "party", "first_entry", "status")
NAME_COLUMN = COLUMNS.index("name")
#: Widths in pixels for a wide table (the name column takes what is left beyond them), and the least
#: each column gets in a narrow one (a 1366x768 console): the name stays readable ("Budi Santoso").
COLUMN_WIDTHS = (70, 335, 128, 220, 108, 70, 92, 170)
MIN_WIDTHS = (66, 190, 128, 170, 96, 62, 86, 150)
_HEADERS = {
    "time": QT_TRANSLATE_NOOP("QueueModel", "Time"),
    "result": QT_TRANSLATE_NOOP("QueueModel", "Result"),
    "code": QT_TRANSLATE_NOOP("QueueModel", "Code"),
    "name": QT_TRANSLATE_NOOP("QueueModel", "Name"),
    "nik": QT_TRANSLATE_NOOP("QueueModel", "NIK\n(last 4)"),
    "party": QT_TRANSLATE_NOOP("QueueModel", "Party\nsize"),
    "first_entry": QT_TRANSLATE_NOOP("QueueModel", "First\nentry"),
    "status": QT_TRANSLATE_NOOP("QueueModel", "Status"),
}
_VERDICT_COLOURS = {Verdict.DENY: QColor("#fbe3e3"), Verdict.REFER: QColor("#fdf0d5")}


def header(column: str) -> str:
    return QCoreApplication.translate("QueueModel", _HEADERS[column])


def status_text(item: QueueItem, zone: ZoneInfo | None = None) -> str:
    """'Open', or who resolved the scan how and when (office time)."""
    resolution = item.resolution
    if resolution is None:
        return QCoreApplication.translate("QueueModel", "Open")
    when = local_time(resolution.at, zone)
    text = QCoreApplication.translate("QueueModel", "%1 (%2, %3)")
    return text.replace("%1", labels.action(resolution.kind)).replace("%2", resolution.guard_name).replace("%3", when)


def local_time(at: dt.datetime, zone: ZoneInfo | None) -> str:
    return f"{at.astimezone(zone) if zone else at:%H.%M}"


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.items: list[QueueItem] = []
        self.zone: ZoneInfo | None = None

    def set_items(self, items: Sequence[QueueItem]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def update_in_place(self, items: Sequence[QueueItem]) -> None:
        """New data for the same rows in the same order (no rows move, the selection stays)."""
        if [i.event_uuid for i in items] != [i.event_uuid for i in self.items]:
            self.set_items(items)
            return
        self.items = list(items)
        if self.items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.items) - 1, len(COLUMNS) - 1))

    def row_of(self, event_uuid: str) -> int | None:
        return next((row for row, item in enumerate(self.items) if item.event_uuid == event_uuid), None)

    @property
    def open_count(self) -> int:
        return sum(1 for item in self.items if item.is_open)

    # --- QAbstractTableModel ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return header(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        column = COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(item, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == "result":
            return QBrush(_VERDICT_COLOURS.get(item.verdict, QColor("#ffffff")))
        if role == Qt.ItemDataRole.FontRole and item.is_open:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and not item.is_open:
            return QBrush(QColor("#5b6773"))
        if role == Qt.ItemDataRole.UserRole:
            return item.event_uuid
        return None

    def cell(self, item: QueueItem, column: str) -> str:
        if column == "time":
            return item.local_time
        if column == "result":
            return f"{labels.verdict(item.verdict.value)} · {labels.reason(item.reason)}"
        if column == "code":
            return item.code_masked or "—"
        if column == "name":
            return item.display_name or ("⚠" if item.booking_tampered else "—")
        if column == "nik":
            return item.nik_last4 or "—"
        if column == "party":
            return str(item.party_size) if item.party_size else "—"
        if column == "first_entry":
            return f"{item.first_entry_time} {item.first_entry_gate}".strip() or "—"
        if column == "status":
            return status_text(item, self.zone)
        return ""
