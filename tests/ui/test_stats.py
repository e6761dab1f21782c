"""The statistics tab: the reasons chart leaves no scan out ("Others" holds the reasons without a bar of
their own, so the bars add up to the header's totals) and shows DENY and REFER in their own tones."""

from __future__ import annotations

import datetime as dt
import errno
from collections import Counter
from pathlib import Path

from PySide6.QtCharts import QBarCategoryAxis, QHorizontalStackedBarSeries, QStackedBarSeries
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.domain.explain import Lang
from kiosk.domain.model import VERDICT_OF, Reason, Verdict
from kiosk.store.errors import StoreError
from kiosk.store.reports.daily import DailyStats
from kiosk.ui.resources import install_language
from kiosk.ui.stats import OTHERS, TOP_REASONS, StatsPage, reason_bars

#: A busy day: every DENY and REFER reason at least once, more reasons than the chart has bars.
BUSY_REASONS: dict[str, int] = {
    reason.value: 3 + 2 * i for i, reason in enumerate(r for r in Reason if VERDICT_OF[r] != Verdict.ADMIT)
}


def busy_day() -> DailyStats:
    stats = DailyStats(day=dt.date(2026, 12, 1), zone="Asia/Jakarta")
    stats.per_reason = Counter(BUSY_REASONS)
    per_verdict = Counter({Verdict.DENY.value: 0, Verdict.REFER.value: 0})
    for code, n in BUSY_REASONS.items():
        per_verdict[VERDICT_OF[Reason(code)].value] += n
    # spread the day's scans over the hours, admitted ones too
    stats.per_hour = {
        8: Counter({"ADMIT": 40, "DENY": per_verdict["DENY"] // 2, "REFER": per_verdict["REFER"] // 2}),
        10: Counter(
            {
                "ADMIT": 65,
                "DENY": per_verdict["DENY"] - per_verdict["DENY"] // 2,
                "REFER": per_verdict["REFER"] - per_verdict["REFER"] // 2,
            }
        ),
        13: Counter({"ADMIT": 22}),
    }
    stats.persons_admitted = 140
    stats.overrides_per_guard = Counter({"Agus": 3, "Budi": 1})
    stats.overrides_per_reason = Counter({"ID_CHECKED": 2, "PRIORITY_ELDERLY": 2})
    return stats


def reasons_series(page: StatsPage) -> tuple[QHorizontalStackedBarSeries, list[str]]:
    chart = page.reasons_view.chart()
    (series,) = chart.series()
    assert isinstance(series, QHorizontalStackedBarSeries)
    (axis,) = [a for a in chart.axes() if isinstance(a, QBarCategoryAxis)]
    return series, list(axis.categories())


def test_a_busy_day_has_more_reasons_than_bars() -> None:
    assert len(BUSY_REASONS) > TOP_REASONS


def test_reason_bars_leave_nothing_out() -> None:
    per_reason = Counter(BUSY_REASONS)
    bars = reason_bars(per_reason)
    assert len(bars) == TOP_REASONS
    assert bars[-1].code == OTHERS
    assert bars[-1].grouped == len(BUSY_REASONS) - (TOP_REASONS - 1)
    assert sum(bar.total for bar in bars) == per_reason.total()
    # the largest reasons have their own bars, largest first
    own = [bar.code for bar in bars[:-1]]
    assert own == [code for code, _n in per_reason.most_common(TOP_REASONS - 1)]
    # a day with few reasons: one bar each, no "Others"
    few = Counter({"CANCELLED": 2, "NEEDS_OFFICER": 1})
    assert [(b.code, b.denied, b.referred) for b in reason_bars(few)] == [
        ("CANCELLED", 2, 0),
        ("NEEDS_OFFICER", 0, 1),
    ]
    assert reason_bars(Counter()) == []


def test_the_others_bar_keeps_denied_and_referred_apart() -> None:
    """The smallest reasons, some denied and some referred, share one bar with both parts."""
    per_reason = Counter({code: 10 for code in ("CANCELLED", "UNPAID", "TOO_EARLY", "TOO_LATE", "WRONG_DAY")})
    per_reason.update({"FORGED": 9, "UNKNOWN_CODE": 9, "NEEDS_OFFICER": 2, "STALE_DATA": 1, "WRONG_OFFICE": 1})
    others = reason_bars(per_reason)[-1]
    assert others.code == OTHERS and others.grouped == 3
    assert (others.denied, others.referred) == (1, 3)  # WRONG_OFFICE; NEEDS_OFFICER and STALE_DATA


def test_an_unknown_reason_from_a_newer_server_still_counts() -> None:
    bars = reason_bars(Counter({"SOMETHING_NEW": 2, "CANCELLED": 1}))
    assert sum(bar.total for bar in bars) == 3
    assert bars[0].referred == 2


def test_the_chart_adds_up_to_the_header_and_has_a_tone_per_verdict(qapp: QApplication, qtbot: QtBot) -> None:
    install_language(qapp, Lang.ID)
    page = StatsPage()
    qtbot.addWidget(page)
    stats = busy_day()
    page.set_stats(stats)
    series, categories = reasons_series(page)
    denied, referred = series.barSets()
    assert (denied.label(), referred.label()) == ("Ditolak", "Perlu petugas")
    deny_sum = sum(denied.at(i) for i in range(denied.count()))
    refer_sum = sum(referred.at(i) for i in range(referred.count()))
    assert deny_sum == stats.total(Verdict.DENY)
    assert refer_sum == stats.total(Verdict.REFER)
    header = page.totals.text()
    assert f"ditolak {stats.total(Verdict.DENY)}" in header
    assert f"perlu petugas {stats.total(Verdict.REFER)}" in header
    # at most TOP_REASONS bars, the smallest group shown as "Lainnya" (at the bottom: largest on top)
    assert len(categories) == TOP_REASONS
    grouped = len(BUSY_REASONS) - (TOP_REASONS - 1)
    assert categories[0] == f"Lainnya ({grouped} alasan)"
    # DENY and REFER in their own tones, with a legend that names them
    assert denied.color() != referred.color()
    legend = page.reasons_view.chart().legend()
    assert legend.isVisible()
    assert [m.label() for m in legend.markers()] == ["Ditolak", "Perlu petugas"]
    # the same tone for a verdict in both charts
    (hours,) = page.hours_view.chart().series()
    assert isinstance(hours, QStackedBarSeries)
    tones = {s.label(): s.color() for s in hours.barSets()}
    assert tones["Ditolak"] == denied.color() and tones["Perlu petugas"] == referred.color()


def test_the_chart_in_english(qapp: QApplication, qtbot: QtBot) -> None:
    install_language(qapp, Lang.EN)
    try:
        page = StatsPage()
        qtbot.addWidget(page)
        page.set_stats(busy_day())
        _series, categories = reasons_series(page)
        assert categories[0] == f"Others ({len(BUSY_REASONS) - (TOP_REASONS - 1)} reasons)"
    finally:
        install_language(qapp, Lang.ID)


def test_screenshot_of_a_busy_day(qapp: QApplication, qtbot: QtBot, tmp_path: Path) -> None:
    """The tab renders on a busy day (the picture is for a person to look at: /tmp/stats.png)."""
    install_language(qapp, Lang.ID)
    page = StatsPage()
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.set_stats(busy_day())
    page.show()
    qtbot.waitExposed(page)
    image = page.grab()
    assert not image.isNull()
    image.save(str(tmp_path / "stats.png"))


def test_the_export_result_in_the_guards_words(qapp: QApplication, qtbot: QtBot) -> None:
    install_language(qapp, Lang.ID)
    page = StatsPage()
    qtbot.addWidget(page)
    page.set_export_done(Path("/r/report.csv"), Path("/r/report.pdf"))
    assert page.export_result.text() == "Laporan harian disimpan:\n/r/report.csv\n/r/report.pdf"
    page.set_export_failed(StoreError("the database /k/kiosk.db is locked by another program for more than 5 ms"))
    assert page.export_result.text() == (
        "Laporan harian tidak dibuat: basis data sedang dipakai program lain; coba lagi"
    )
    page.set_export_failed(PermissionError(13, "Permission denied", "/r/report.pdf"))
    assert page.export_result.text() == "Laporan harian tidak dibuat: berkas /r/report.pdf tidak dapat ditulis"
    page.set_export_failed(OSError(errno.ENOSPC, "No space left on device"))
    assert page.export_result.text() == "Laporan harian tidak dibuat: disk penuh"
