"""The daily report: statistics, every guard action and no applicant names, as data, CSV and
printed HTML (kiosk/store/reports/): Indonesian names (English on request), office time, the CSV a
spreadsheet in an Indonesian locale opens, the blocks and signature block of the printed form."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.domain.explain import Lang
from kiosk.domain.model import Reason, Verdict
from kiosk.store import guard_actions
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import ActionKind, OverrideReason
from kiosk.store.reports import daily, daily_csv, daily_html, daily_words, names
from kiosk.store.reports.daily_html import BlockKind
from tests.ui.fixtures import (
    ADMIT_CODE,
    DAY,
    GUARD_A,
    GUARD_B,
    NOW,
    PARTY_CODE,
    UNKNOWN_CODE,
    guard_id,
    make_store,
    presentation,
)

LATER = NOW + dt.timedelta(minutes=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db") as opened:
        yield opened


def scan(store: KioskStore, code: str, at: dt.datetime = NOW) -> str:
    return store.decisions.record(presentation(code), at).event_uuid


def rows(store: KioskStore, table: type) -> list[dict[str, object]]:
    with store.reading() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table))]


def test_daily_statistics_per_hour_reason_and_guard(store: KioskStore) -> None:
    scan(store, ADMIT_CODE)
    scan(store, PARTY_CODE)
    denied = scan(store, UNKNOWN_CODE)
    scan(store, "MPCANCEL0001", NOW + dt.timedelta(hours=1))
    scan(store, "MPPRIORITY01", NOW + dt.timedelta(hours=1))
    guard_actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.LOST_PASSPORT, LATER)

    stats = daily.daily_stats(store, NOW)

    assert stats.per_hour[10][Verdict.ADMIT.value] == 2
    assert stats.per_hour[10][Verdict.DENY.value] == 1
    assert stats.per_hour[11][Verdict.DENY.value] == 1 and stats.per_hour[11][Verdict.REFER.value] == 1
    assert stats.per_reason == {"UNKNOWN_CODE": 1, "CANCELLED": 1, "NEEDS_OFFICER": 1}
    assert stats.overrides_per_guard == {GUARD_A: 1}
    assert stats.overrides_per_reason == {"LOST_PASSPORT": 1}
    assert stats.persons_admitted == 1 + 3 + 1
    assert (stats.total(Verdict.ADMIT), stats.total(Verdict.DENY), stats.total(Verdict.REFER)) == (2, 2, 1)


OFFICE_NAME = "Kantor Imigrasi Kelas I Khusus TPI Jakarta Selatan"


# --- names -----------------------------------------------------------------------------------------


NAMED = [
    *(pytest.param(names.verdict, code, id=f"verdict-{code}") for code in Verdict),
    *(pytest.param(names.reason, code, id=f"reason-{code}") for code in Reason),
    *(pytest.param(names.action, code, id=f"action-{code}") for code in ActionKind),
    *(
        pytest.param(
            lambda code, lang: names.action_reason(ActionKind.OVERRIDE, code, lang), code, id=f"override-{code}"
        )
        for code in OverrideReason
    ),
    *(
        pytest.param(lambda code, lang, kind=kind: names.action_reason(kind, code, lang), code, id=f"{kind}-{code}")
        for kind, code in (
            (ActionKind.DISMISS, "DISMISSED"),
            (ActionKind.ACK, "ACKNOWLEDGED"),
            (ActionKind.NOTE, "NOTE"),
        )
    ),
]


@pytest.mark.parametrize(("name", "code"), NAMED)
def test_every_code_has_a_name_in_both_languages(name: Callable[[str, Lang], str], code: str) -> None:
    indonesian, english = name(code, Lang.ID), name(code, Lang.EN)
    assert indonesian and english and code not in (indonesian, english)
    assert indonesian != english


def test_the_tables_name_exactly_the_enums_and_unknown_codes_show_as_they_are() -> None:
    assert set(names.VERDICTS) == set(Verdict) and set(names.REASONS) == set(Reason)
    assert set(names.ACTIONS) == set(ActionKind) and set(names.OVERRIDE_REASONS) == set(OverrideReason)
    assert all(len(pair) == 2 and all(pair) for table in (names.TEXTS,) for pair in table.values())
    assert names.reason("A_NEWER_REASON", Lang.ID) == "A_NEWER_REASON"
    assert names.long_date(dt.date(2026, 12, 7), Lang.ID, weekday=True) == "Senin, 7 Desember 2026"
    assert names.long_date(dt.date(2026, 12, 7), Lang.EN) == "7 December 2026"


# --- the report's data --------------------------------------------------------------------------------


def a_day_with_an_override(store: KioskStore, note: str = "paspor diperiksa") -> daily.DailyReport:
    denied = scan(store, "MPPRIORITY01")
    guard_actions.override(
        store, denied, guard_id(store, GUARD_A), OverrideReason.ID_CHECKED, LATER, persons=1, note=note
    )
    scan(store, UNKNOWN_CODE, LATER)
    return daily.daily_report(store, LATER, office_name=OFFICE_NAME)


def test_the_report_names_the_office_and_is_in_office_time(store: KioskStore) -> None:
    report = a_day_with_an_override(store)
    assert report.office == f"{OFFICE_NAME} (KANIM-JKTSEL)"
    assert daily.daily_report(store, LATER).office == "KANIM-JKTSEL"  # no name known: the code
    local = LATER.astimezone(report.stats.tz)
    assert daily_words.generated(report) == f"{local:%d-%m-%Y %H.%M.%S} WIB"
    assert report.actions[0].local_time == f"{local:%H.%M.%S}"
    assert report.stats.zone == "WIB" and not report.empty


def test_the_kiosk_holds_the_days_from_its_set_up_to_today(store: KioskStore) -> None:
    held = daily.held_days(store, NOW + dt.timedelta(days=3))
    assert (held.first, held.today, held.zone) == (DAY, DAY + dt.timedelta(days=3), "WIB")
    assert DAY in held and DAY - dt.timedelta(days=1) not in held and DAY + dt.timedelta(days=4) not in held
    empty = daily.daily_report(store, NOW + dt.timedelta(days=3), DAY + dt.timedelta(days=1))
    assert empty.empty and empty.stats.day == DAY + dt.timedelta(days=1) and not empty.actions


def test_daily_report_carries_the_override_and_no_applicant_names(store: KioskStore) -> None:
    denied = scan(store, "MPPRIORITY01")
    guard_actions.override(
        store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note='=HYPERLINK("http://x","y")'
    )
    report = daily.daily_report(store, LATER)
    assert report.audit_ok and report.audit_head_seq == store.audit.head().seq
    [line] = report.actions
    assert (line.guard_name, line.kind, line.reason, line.ref_reason) == (GUARD_A, "override", "OTHER", "NEEDS_OFFICER")

    text = daily_csv.report_csv(report, Lang.EN)
    table = list(csv.reader(io.StringIO(text.removeprefix(daily_csv.BOM))))
    assert ["Daily Gate Report", "Audit chain", "OK (" + str(report.audit_entries) + " entries)"] in table
    assert ["guard", "overrides"] in table and [GUARD_A, "1"] in table
    override_rows = [r for r in table if len(r) > 3 and r[3] == "override"]
    assert override_rows[0][12] == '\'=HYPERLINK("http://x","y")'  # a spreadsheet shows it, never runs it
    assert "Ibu Sumarni" not in text and "0921" not in text


# --- CSV ------------------------------------------------------------------------------------------------


def tables(text: str, sep: str) -> list[list[list[str]]]:
    """The CSV's tables: runs of rows between empty rows."""
    found: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text), delimiter=sep):
        if row:
            found[-1].append(row)
        else:
            found.append([])
    return found


@pytest.mark.parametrize("sep", [",", ";"])
@pytest.mark.parametrize("lang", [Lang.ID, Lang.EN])
def test_the_csv_has_a_bom_its_separator_and_six_tables_of_fixed_columns(
    store: KioskStore, tmp_path: Path, sep: str, lang: Lang
) -> None:
    report = a_day_with_an_override(store, note="catatan; dengan, tanda baca")
    path = tmp_path / "report.csv"
    path.write_bytes(daily_csv.report_csv(report, lang, sep).encode("utf-8"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    text = path.read_text(encoding="utf-8-sig")
    found = tables(text, sep)
    assert [t[0] for t in found] == [
        daily_csv.columns(name, lang, "WIB")
        for name in ("summary", "per_hour", "by_reason", "per_guard", "override_reasons", "actions")
    ]
    for table in found:
        assert {len(row) for row in table} == {len(table[0])}  # one table: one width
    summary = {row[1]: row[2] for row in found[0][1:]}
    assert summary[names.text("office", lang)] == f"{OFFICE_NAME} (KANIM-JKTSEL)"
    assert summary[names.text("zone", lang)] == "WIB (Asia/Jakarta)"
    assert summary[names.text("generated", lang)].endswith(" WIB")
    assert summary[names.text("audit_head", lang)] == f"{report.audit_head_seq}: " + " ".join(
        report.audit_head_hash[i : i + 4] for i in range(0, 64, 4)
    )
    assert "UTC" not in text
    [override] = found[5][1:]
    assert override[2:6] == [
        names.action("override", lang),
        "override",
        names.action_reason("override", "ID_CHECKED", lang),
        "ID_CHECKED",
    ]
    assert override[9] == names.reason("NEEDS_OFFICER", lang) and override[12] == "catatan; dengan, tanda baca"
    reasons = {row[0]: row[1] for row in found[2][1:]}
    assert reasons == {
        "NEEDS_OFFICER": names.reason("NEEDS_OFFICER", lang),
        "UNKNOWN_CODE": names.reason("UNKNOWN_CODE", lang),
    }


def test_the_csv_refuses_another_separator(store: KioskStore) -> None:
    with pytest.raises(ValueError, match="separator"):
        daily_csv.report_csv(daily.daily_report(store, NOW), Lang.ID, "\t")


# --- the printed form -----------------------------------------------------------------------------------


def test_the_printed_report_is_escaped_html_with_the_head_to_sign(store: KioskStore) -> None:
    """The HTML kiosk/ui/report_pdf.py prints: every value escaped, the head in groups of four, and the
    paper anchor asked for when the server gave no receipt (no Qt here)."""
    denied = scan(store, "MPPRIORITY01")
    guard_actions.override(store, denied, guard_id(store, GUARD_A), OverrideReason.OTHER, LATER, note="<b>bold</b>")
    report = daily.daily_report(store, LATER)

    html = daily_html.report_html(report)

    assert html.startswith("<html><body><h1>Laporan Harian Gerbang</h1>") and html.endswith("</table></body></html>")
    assert "‹b›bold‹/b›" in html and "<b>bold" not in html  # the store cleaned it; escaped besides
    assert '<span class="ok">UTUH' in html
    assert daily_words.grouped(report.audit_head_hash) in html
    assert "tidak ada tanda terima server: tanda tangani kepala rantai ini" in html
    assert "Ibu Sumarni" not in html and "0921" not in html
    assert "NEEDS_OFFICER" not in html and "Layanan prioritas atau khusus" in html  # names, not codes
    assert daily_html.title(report) == f"Laporan Harian Gerbang {report.office_code} {report.stats.day.isoformat()}"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            Lang.ID,
            (
                "Dibuat oleh,",
                "Mengetahui,",
                "Kepala Kantor",
                "Tempat, tanggal",
                "Nama",
                "NIP",
                "Selasa, 1 Desember 2026",
            ),
        ),
        (
            Lang.EN,
            (
                "Prepared by,",
                "Acknowledged by,",
                "Head of Office",
                "Place, date",
                "Name",
                "NIP",
                "Tuesday, 1 December 2026",
            ),
        ),
    ],
)
def test_the_printed_report_has_one_block_per_action_and_a_signature_block(
    store: KioskStore, lang: Lang, words: tuple[str, ...]
) -> None:
    report = a_day_with_an_override(store)
    first = scan(store, "MPCANCEL0001", LATER)
    guard_actions.dismiss(store, first, guard_id(store, GUARD_B), LATER + dt.timedelta(seconds=5))
    report = daily.daily_report(store, LATER + dt.timedelta(seconds=5), office_name=OFFICE_NAME)

    printed = daily_html.printed(report, lang, prepared_by="Agus Setiawan")

    kinds = [b.kind for b in printed.blocks]
    assert kinds[0] == BlockKind.HEAD and kinds[-1] == BlockKind.SIGNATURE
    actions = [b for b in printed.blocks if b.kind == BlockKind.ACTION]
    assert [(b.event_uuid, b.override) for b in actions] == [
        (a.event_uuid, a.kind == "override") for a in report.actions
    ]
    assert kinds.index(BlockKind.ACTIONS_HEADING) == kinds.index(BlockKind.ACTION) - 1
    signature = printed.blocks[-1].html
    for word in words:
        assert word in signature or word in printed.blocks[0].html, word
    assert "Agus Setiawan" in signature and daily_words.grouped(report.audit_head_hash) in signature
    assert printed.page_of(2, 5) == ("Halaman 2 dari 5" if lang == Lang.ID else "Page 2 of 5")
    assert OFFICE_NAME in printed.footer and "WIB" in printed.blocks[0].html
