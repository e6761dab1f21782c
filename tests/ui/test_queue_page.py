"""The guard's queue when busy (issue 15): new rows never move the row under the pointer or the selected
scan, and the name column stays readable on a 1366x768 or 1400x900 console."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QEnterEvent, QFont, QFontMetrics
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk
from kiosk.store.guard_actions import ActionKind
from kiosk.store.queue import QueueItem, Resolution
from kiosk.ui.queue_model import MIN_WIDTHS, NAME_COLUMN
from kiosk.ui.queue_page import QueuePage
from tests.ui.fixtures import GUARD_A, PIN_A, present
from tests.ui.test_console import login


def many(kiosk: Kiosk, count: int) -> list[QueueItem]:
    """`count` open scans a minute apart, newest first (copies of one real scan)."""
    kiosk.controller.code_seen(present("MPPRIORITY01"))
    [item] = kiosk.console.queue_page.model.items
    return [
        dataclasses.replace(item, event_uuid=f"e{n:03d}", at=item.at + dt.timedelta(minutes=n), local_time=f"{n:02d}")
        for n in reversed(range(count))
    ]


def newer(items: list[QueueItem], n: int = 1) -> list[QueueItem]:
    top = items[0]
    fresh = [dataclasses.replace(top, event_uuid=f"new{k}", at=top.at + dt.timedelta(minutes=k + 1)) for k in range(n)]
    return list(reversed(fresh)) + items


def enter(page: QueuePage) -> None:
    viewport = page.table.viewport()
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))


def leave(page: QueuePage) -> None:
    QApplication.sendEvent(page.table.viewport(), QEvent(QEvent.Type.Leave))


@pytest.fixture
def page(kiosk: Kiosk, qtbot: QtBot) -> QueuePage:
    console = kiosk.console
    console.resize(1366, 768)
    console.show()
    qtbot.waitExposed(console)
    login(console, GUARD_A, PIN_A)
    return console.queue_page


def test_while_the_pointer_is_over_the_list_new_rows_wait(kiosk: Kiosk, page: QueuePage) -> None:
    rows = many(kiosk, 3)
    page.set_items(rows)
    page.table.selectRow(1)
    enter(page)
    assert page.hovering
    page.set_items(newer(rows))
    assert [i.event_uuid for i in page.model.items] == [i.event_uuid for i in rows]  # nothing moved
    assert page.selected is not None and page.selected.event_uuid == rows[1].event_uuid
    assert page.held == 1 and page.tr("%n new: move the pointer off the list to see it", "", 1) in page.count.text()
    leave(page)
    assert [i.event_uuid for i in page.model.items][:2] == ["new0", rows[0].event_uuid]  # it comes in now
    assert page.selected is not None and page.selected.event_uuid == rows[1].event_uuid  # same scan selected
    assert page.held == 0


def test_a_resolved_row_is_updated_in_place_under_the_pointer(kiosk: Kiosk, page: QueuePage) -> None:
    rows = many(kiosk, 3)
    page.set_items(rows)
    enter(page)
    done = Resolution(ActionKind.DISMISS, GUARD_A, rows[0].at, "", 0, "")
    changed = [*rows[1:], dataclasses.replace(rows[0], resolution=done)]  # resolved: it sorts last
    page.set_items(changed)
    assert page.model.items[0].resolution == done and page.held == 0
    assert [i.event_uuid for i in page.model.items] == [i.event_uuid for i in rows]


def test_the_selected_scan_stays_where_it_is_on_screen_when_rows_come_in_above(kiosk: Kiosk, page: QueuePage) -> None:
    rows = many(kiosk, 60)
    page.set_items(rows)
    page.table.selectRow(8)
    target = rows[8].event_uuid
    top = page.table.rowViewportPosition(8)
    assert 0 <= top < page.table.viewport().height()
    page.set_items(newer(rows, 3))
    row = page.model.row_of(target)
    assert row == 11 and page.selected is not None and page.selected.event_uuid == target
    assert page.table.rowViewportPosition(row) == top  # the list scrolled by what came in above
    assert page.table.selectionModel().isRowSelected(row)


@pytest.mark.parametrize("size", [(1366, 768), (1400, 900)])
def test_the_name_column_stays_readable(kiosk: Kiosk, page: QueuePage, qtbot: QtBot, size: tuple[int, int]) -> None:
    console = kiosk.console
    console.resize(*size)
    qtbot.waitUntil(lambda: console.width() == size[0])
    kiosk.controller.code_seen(present("MPPARTY3FAM1"))
    qtbot.waitUntil(lambda: page.table.horizontalHeader().sectionSize(NAME_COLUMN) >= MIN_WIDTHS[NAME_COLUMN])
    header = page.table.horizontalHeader()
    bold = QFont(page.table.font())
    bold.setBold(True)  # open scans are shown in bold
    metrics = QFontMetrics(bold)
    assert header.sectionSize(NAME_COLUMN) > metrics.horizontalAdvance("Keluarga Santoso") + 12
    total = sum(header.sectionSize(c) for c in range(header.count()))
    assert total <= page.table.viewport().width()  # no sideways scrolling
    assert console.width() == size[0] and console.height() <= size[1]  # the console fits the screen
