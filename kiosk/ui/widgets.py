"""Small constructors for the widgets the screens build many of: named (for the style sheet), plain text."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QStackedWidget, QTabBar, QVBoxLayout, QWidget


def label(
    name: str = "",
    text: str = "",
    *,
    wrap: bool = False,
    align: Qt.AlignmentFlag | None = None,
    parent: QWidget | None = None,
    kind: type[QLabel] = QLabel,
) -> QLabel:
    """A plain-text label: whatever it shows (a guard's note, a code) is never read as markup."""
    widget = kind(parent)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    if name:
        widget.setObjectName(name)
    if text:
        widget.setText(text)
    widget.setWordWrap(wrap)
    if align is not None:
        widget.setAlignment(align)
    return widget


def button(name: str = "", text: str = "", parent: QWidget | None = None) -> QPushButton:
    widget = QPushButton(text, parent)
    if name:
        widget.setObjectName(name)
    return widget


def frame(name: str, parent: QWidget | None = None) -> QFrame:
    widget = QFrame(parent)
    widget.setObjectName(name)
    return widget


def pixel_font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(pixels, 6))
    font.setBold(bold)
    return font


class Tabs(QWidget):
    """A tab bar over a stack of pages: what QTabWidget offers, without its repaint.

    QTabWidget lays itself out by hand and repaints all of itself on every layout request: a new tab
    title or a label in a page that grows by a character redraws the whole console (measured 8-9 ms on
    the GUI thread). Here a plain layout holds the bar and the pages, so a change repaints what changed.
    """

    currentChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QTabBar()
        self.bar.setDrawBase(False)
        self.bar.setExpanding(False)
        self.pages = QStackedWidget()
        self.pages.setObjectName("tabPages")
        self.bar.currentChanged.connect(self._show)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.bar)
        layout.addWidget(self.pages, 1)
        # QTabWidget's keys for the next and the previous page, for a guard at a keyboard.
        for keys, step in (("Ctrl+Tab", 1), ("Ctrl+PgDown", 1), ("Ctrl+Shift+Tab", -1), ("Ctrl+PgUp", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(partial(self._step, step))

    def addTab(self, page: QWidget, title: str) -> int:  # noqa: N802 - the QTabWidget name
        self.pages.addWidget(page)
        return self.bar.addTab(title)

    def setTabText(self, index: int, title: str) -> None:  # noqa: N802
        if self.bar.tabText(index) != title:
            self.bar.setTabText(index, title)

    def tabText(self, index: int) -> str:  # noqa: N802
        return self.bar.tabText(index)

    def count(self) -> int:
        return self.bar.count()

    def widget(self, index: int) -> QWidget | None:
        return self.pages.widget(index)

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        return self.pages.currentWidget()

    def currentIndex(self) -> int:  # noqa: N802
        return self.bar.currentIndex()

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        self.bar.setCurrentIndex(index)

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        self.bar.setCurrentIndex(self.pages.indexOf(page))

    def _step(self, step: int) -> None:
        if self.count():
            self.setCurrentIndex((self.currentIndex() + step) % self.count())

    def _show(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.currentChanged.emit(index)
