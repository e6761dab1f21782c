"""Today's statistics for the guard and the supervisor: decisions per hour, reasons, overrides per guard,
and the daily report export (CSV and PDF) for the office's integrity-zone file.

Charts are QtCharts; each bar set has a legend with words, so nothing depends on colour alone. Denied
scans are red and referred ones amber in both charts (the hues of the applicant's DENY and REFER
screens). The
reasons chart shows every DENY and REFER scan of the day: the largest reasons each have a bar, the rest
share one "Others" bar, so its bars add up to the totals in the header.
"""

from __future__ import annotations

import errno
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalStackedBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.model import VERDICT_OF, Reason, Verdict
from kiosk.store.errors import StoreError
from kiosk.store.reports.daily import DailyStats
from kiosk.ui import labels
from kiosk.ui.widgets import button, frame, label

log = logging.getLogger(__name__)

GREEN, RED, AMBER = QColor("#2e7d32"), QColor("#c62828"), QColor("#e0a100")
FIRST_HOUR, LAST_HOUR = 7, 16  # the axis always shows office hours, wider when scans fall outside
DENY_TONE, REFER_TONE = RED, AMBER  # one tone per verdict, the same in both charts
TOP_REASONS = 8  # bars in the reasons chart at most, the "Others" bar included
OTHERS = "__others__"  # the category code of the "Others" bar


@dataclass(frozen=True, slots=True)
class ReasonBar:
    """One bar of the reasons chart: a reason (or OTHERS) and its scans by verdict."""

    code: str
    denied: int
    referred: int
    grouped: int = 1  # how many reasons the bar holds (more than one only for OTHERS)

    @property
    def total(self) -> int:
        return self.denied + self.referred


def verdict_of(code: str) -> Verdict:
    """The verdict a reason gives (kiosk/domain/model.py); a reason this kiosk does not know yet (from a
    newer server) counts as referred: the guard looks at it."""
    try:
        return VERDICT_OF[Reason(code)]
    except ValueError:
        return Verdict.REFER


def reason_bars(per_reason: Counter[str], top: int = TOP_REASONS) -> list[ReasonBar]:
    """Every DENY/REFER reason of the day, largest first, in at most `top` bars: when there are more
    reasons than that, the largest `top - 1` get a bar each and the rest share the last one (OTHERS).
    Nothing is left out: the bars add up to all the scans in `per_reason`."""
    ranked = sorted(((code, n) for code, n in per_reason.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
    shown, rest = (ranked, []) if len(ranked) <= top else (ranked[: top - 1], ranked[top - 1 :])
    bars = []
    for code, n in shown:
        denied = verdict_of(code) == Verdict.DENY
        bars.append(ReasonBar(code, n if denied else 0, 0 if denied else n))
    if rest:
        denied_rest = sum(n for code, n in rest if verdict_of(code) == Verdict.DENY)
        bars.append(ReasonBar(OTHERS, denied_rest, sum(n for _c, n in rest) - denied_rest, len(rest)))
    return bars


class StatsPage(QWidget):
    refreshRequested = Signal()
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stats: DailyStats | None = None
        self.title = label("pageTitle")
        self.totals = label("sectionTitle", wrap=True)
        self.refresh = button("", "")
        self.refresh.clicked.connect(self.refreshRequested)
        self.export = button("primary", "")
        self.export.clicked.connect(self.exportRequested)
        self.export_result = label("hint", wrap=True)

        self.hours_view = _chart_view()
        self.reasons_view = _chart_view()
        self.guard_table = _table()
        self.reason_table = _table()
        self.guard_title = label("sectionTitle")
        self.override_title = label("sectionTitle")

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.refresh)
        top.addWidget(self.export)
        tables = frame("card")
        side = QVBoxLayout(tables)
        side.addWidget(self.guard_title)
        side.addWidget(self.guard_table, 1)
        side.addWidget(self.override_title)
        side.addWidget(self.reason_table, 1)
        grid = QGridLayout()
        grid.addWidget(self.hours_view, 0, 0, 1, 2)
        grid.addWidget(self.reasons_view, 1, 0)
        grid.addWidget(tables, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 5)
        grid.setRowStretch(1, 4)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addLayout(grid, 1)
        layout.addWidget(self.export_result)
        self.retranslate()

    def set_stats(self, stats: DailyStats) -> None:
        self.stats = stats
        self._render()

    def set_export_result(self, text: str, ok: bool) -> None:
        self.export_result.setObjectName("ok" if ok else "error")
        self.export_result.style().unpolish(self.export_result)
        self.export_result.style().polish(self.export_result)
        self.export_result.setText(text)

    def set_export_done(self, csv: Path, pdf: Path) -> None:
        self.set_export_result(self.tr("Daily report saved:") + f"\n{csv}\n{pdf}", ok=True)

    def set_export_failed(self, error: BaseException) -> None:
        """Why the report was not made, in the guard's words; the English detail goes to the log."""
        log.error("the daily report was not made: %s", error)
        if isinstance(error, StoreError):
            why = labels.store_error(str(error))
        elif isinstance(error, OSError) and error.errno == errno.ENOSPC:
            why = self.tr("the disk is full")
        elif isinstance(error, OSError):
            why = self.tr("the file %1 cannot be written").replace("%1", str(error.filename or ""))
        else:
            why = self.tr("an unexpected error (details in the kiosk's log)")
        self.set_export_result(self.tr("The daily report was not made: %1").replace("%1", why), ok=False)

    def set_busy(self, busy: bool) -> None:
        self.export.setEnabled(not busy)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Today's statistics"))
        self.refresh.setText(self.tr("Refresh"))
        self.export.setText(self.tr("Export daily report (CSV + PDF)"))
        self.guard_title.setText(self.tr("Overrides per guard"))
        self.override_title.setText(self.tr("Overrides per reason"))
        self.guard_table.setHorizontalHeaderLabels([self.tr("Guard"), self.tr("Overrides")])
        self.reason_table.setHorizontalHeaderLabels([self.tr("Reason"), self.tr("Overrides")])
        self._render()

    # --- rendering ----------------------------------------------------------------------------------

    def _render(self) -> None:
        stats = self.stats
        if stats is None:
            self.totals.setText(self.tr("Loading…"))
            return
        overrides = sum(stats.overrides_per_guard.values())
        self.totals.setText(
            self.tr(
                "%1 (%2) — admitted %3 · denied %4 · referred %5 · people let in %6 · guard overrides %7"
                " · broker alerts %8"
            )
            .replace("%1", f"{stats.day:%d-%m-%Y}")
            .replace("%2", stats.zone)
            .replace("%3", str(stats.total(Verdict.ADMIT)))
            .replace("%4", str(stats.total(Verdict.DENY)))
            .replace("%5", str(stats.total(Verdict.REFER)))
            .replace("%6", str(stats.persons_admitted))
            .replace("%7", str(overrides))
            .replace("%8", str(stats.broker_alerts))
        )
        self.hours_view.setChart(self._hours_chart(stats))
        self.reasons_view.setChart(self._reasons_chart(stats))
        _fill(self.guard_table, sorted(stats.overrides_per_guard.items(), key=lambda kv: (-kv[1], kv[0])))
        _fill(
            self.reason_table,
            [(labels.override_reason(code), n) for code, n in stats.overrides_per_reason.most_common()],
        )

    def _hours_chart(self, stats: DailyStats) -> QChart:
        hours = sorted(stats.per_hour)
        first = min([FIRST_HOUR, *hours])
        last = max([LAST_HOUR, *hours])
        span = list(range(first, last + 1))
        series = QStackedBarSeries()
        peak = 0
        for verdict, name, colour in (
            (Verdict.ADMIT, self.tr("Admitted"), GREEN),
            (Verdict.DENY, self.tr("Denied"), DENY_TONE),
            (Verdict.REFER, self.tr("Referred"), REFER_TONE),
        ):
            bars = QBarSet(name)
            bars.setColor(colour)
            bars.setBorderColor(colour)
            for hour in span:
                bars.append(float(stats.per_hour.get(hour, Counter())[verdict.value]))
            series.append(bars)
        for hour in span:
            peak = max(peak, sum(stats.per_hour.get(hour, Counter()).values()))
        chart = _chart(self.tr("Scans per hour (office time)"))
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([f"{hour:02d}" for hour in span])
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_x)
        chart.addAxis(_count_axis(peak), Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(chart.axes(Qt.Orientation.Vertical)[0])
        return chart

    def _reasons_chart(self, stats: DailyStats) -> QChart:
        bars = reason_bars(stats.per_reason)[::-1]  # largest at the top
        series = QHorizontalStackedBarSeries()
        for name, colour, ink, counts in (
            (self.tr("Denied"), DENY_TONE, Qt.GlobalColor.white, [bar.denied for bar in bars]),
            (self.tr("Referred"), REFER_TONE, Qt.GlobalColor.black, [bar.referred for bar in bars]),
        ):
            bar_set = QBarSet(name)
            bar_set.setColor(colour)
            bar_set.setBorderColor(colour)
            bar_set.setLabelColor(ink)  # the count, readable on its tone
            for count in counts:
                bar_set.append(float(count))
            series.append(bar_set)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        chart = _chart(self.tr("Denied and referred, by reason"))
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append([self._reason_name(bar) for bar in bars] or ["—"])
        axis_y.setTruncateLabels(False)  # a reason's name in full, never "…"
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_y)
        axis_x = _count_axis(max((bar.total for bar in bars), default=0))
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_x)
        return chart

    def _reason_name(self, bar: ReasonBar) -> str:
        if bar.code == OTHERS:
            return self.tr("Others (%n reasons)", "", bar.grouped)
        return labels.reason(bar.code)


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = QFont()
    font.setPixelSize(16)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(6, 6, 6, 6))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def _count_axis(peak: int) -> QValueAxis:
    """A count axis from 0 with whole-number ticks: steps of 1, 2, 5, 10, 20, 50... and at most 6 ticks."""
    step = 1
    while peak > step * 5:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    top = max(step * -(-max(peak, 1) // step), step * 2)
    axis = QValueAxis()
    axis.setRange(0, top)
    axis.setTickCount(top // step + 1)
    axis.setLabelFormat("%d")
    return axis


def _chart_view() -> QChartView:
    view = QChartView()
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


def _table() -> QTableWidget:
    table = QTableWidget(0, 2)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setAlternatingRowColors(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, int]]) -> None:
    table.setRowCount(len(rows))
    for row, (name, count) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(name))
        number = QTableWidgetItem(str(count))
        number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, 1, number)
