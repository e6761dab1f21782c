"""The console's tab widget: a new tab title or a label that grows repaints what changed, not the page
(QTabWidget repaints all of itself on every layout request; that cost the GUI thread 8-9 ms a time)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kiosk.ui.widgets import Tabs


class PaintCounter(QObject):
    def __init__(self, watched: QWidget) -> None:
        super().__init__()
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def build(qtbot: QtBot) -> tuple[Tabs, QLabel, QTableWidget, QLabel]:
    page = QWidget()
    count = QLabel("3 open")
    table = QTableWidget(30, 5)
    layout = QVBoxLayout(page)
    layout.addWidget(count)
    layout.addWidget(table, 1)
    other = QLabel("status")
    tabs = Tabs()
    qtbot.addWidget(tabs)
    tabs.addTab(page, "Queue")
    tabs.addTab(other, "Status")
    tabs.resize(1200, 800)
    tabs.show()
    qtbot.waitExposed(tabs)
    settle()
    return tabs, count, table, other


def test_a_new_tab_title_repaints_the_bar_not_the_page(qapp: QApplication, qtbot: QtBot) -> None:
    tabs, _count, table, _other = build(qtbot)
    page_paints, bar_paints = PaintCounter(table.viewport()), PaintCounter(tabs.bar)
    tabs.setTabText(0, "Queue (12 open)")
    settle()
    assert tabs.tabText(0) == "Queue (12 open)"
    assert bar_paints.count >= 1
    assert page_paints.count == 0
    tabs.setTabText(0, "Queue (12 open)")  # the same title again: nothing at all
    bar_before = bar_paints.count
    settle()
    assert bar_paints.count == bar_before


def test_a_label_that_grows_repaints_itself_not_the_table_beside_it(qapp: QApplication, qtbot: QtBot) -> None:
    _tabs, count, table, _other = build(qtbot)
    table_paints, label_paints = PaintCounter(table.viewport()), PaintCounter(count)
    count.setText("12 open · 30 today")
    settle()
    assert label_paints.count >= 1
    assert table_paints.count == 0


def test_tabs_switch_pages_and_say_so(qapp: QApplication, qtbot: QtBot) -> None:
    tabs, _count, table, other = build(qtbot)
    seen: list[int] = []
    tabs.currentChanged.connect(seen.append)
    assert tabs.count() == 2 and tabs.currentIndex() == 0
    tabs.setCurrentWidget(other)
    assert tabs.currentWidget() is other and tabs.currentIndex() == 1 and seen == [1]
    assert other.isVisible() and not table.isVisible()
    tabs.bar.setCurrentIndex(0)  # a click on the bar does the same
    assert tabs.currentWidget() is table.parentWidget() and seen == [1, 0]


def test_the_keyboard_moves_between_pages_as_in_qtabwidget(qapp: QApplication, qtbot: QtBot) -> None:
    tabs, _count, table, other = build(qtbot)
    tabs.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus, timeout=2000)
    qtbot.keyClick(table, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentWidget() is other
    qtbot.keyClick(other, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)  # past the last: the first
    assert tabs.currentIndex() == 0
    qtbot.keyClick(tabs.currentWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentWidget() is other
