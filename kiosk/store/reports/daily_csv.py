"""The daily report as CSV, for a spreadsheet (Excel in an Indonesian locale included).

The file: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), rows ended by CRLF, cells quoted
when they must be (RFC 4180). The separator is "," by default; `sep=";"` (`kiosk report --sep ';'`)
suits Excel in an Indonesian locale, whose list separator is ";" (a ","-file opens in one column there).
Headings and names are Indonesian by default, English with `lang=Lang.EN`; the codes of reasons, of
guard actions and of their reasons stand beside their names, so the file can be filtered by code in
either language. Times are the office's local time, the zone named in the column's heading
(WIB/WITA/WIT); nothing is in UTC.

Layout: one file of six tables one below the other, in this order, each starting with its heading
row and followed by one empty row (the column names are those of lang=Lang.ID; EN gives English ones):

1. `bagian;butir;nilai` (section; item; value): the report's head (office, kiosk, gate, day, zone,
   generated, audit chain, audit head ENTRY: hash in groups of four, anchoring, audit problems) and the
   day's totals (scans admitted, denied, referred; people admitted; broker alerts; guard actions of each
   kind).
2. `jam;diizinkan;ditolak;diteruskan`: decisions per hour of the day (office time), hours with scans only.
3. `kode_alasan;alasan;pemindaian`: denied and referred scans by reason.
4. `petugas;izin_masuk`: guard overrides per guard.
5. `kode_alasan_izin;alasan_izin;izin_masuk`: guard overrides by reason.
6. the guard actions, one row per action, in time order (the last table: it runs to the end of the
   file): time, guard, action (name and code), reason (name and code), people, the scan acted on
   (time, verdict, reason), booking ref, masked code, note, event id.

A cell that starts like a formula (=, +, -, @) gets a leading apostrophe: a spreadsheet shows it and
never runs it. No applicant names or NIK digits are in the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from kiosk.domain.explain import Lang
from kiosk.domain.model import Verdict
from kiosk.store.guard_actions import ActionKind
from kiosk.store.reports import daily_words, names
from kiosk.store.reports.daily import DailyReport

#: The separators a report may be written with: "," (the default) and ";" (Excel, Indonesian locale).
SEPARATORS = (",", ";")
DEFAULT_SEPARATOR = ","
BOM = "\ufeff"

#: The column names of each table, (Indonesian, English).
_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "summary": (("bagian", "butir", "nilai"), ("section", "item", "value")),
    "per_hour": (("jam", "diizinkan", "ditolak", "diteruskan"), ("hour", "admitted", "denied", "referred")),
    "by_reason": (("kode_alasan", "alasan", "pemindaian"), ("reason_code", "reason", "scans")),
    "per_guard": (("petugas", "izin_masuk"), ("guard", "overrides")),
    "override_reasons": (
        ("kode_alasan_izin", "alasan_izin", "izin_masuk"),
        ("override_reason_code", "override_reason", "overrides"),
    ),
    "actions": (
        (
            "waktu_{zone}",
            "petugas",
            "tindakan",
            "kode_tindakan",
            "alasan",
            "kode_alasan",
            "orang",
            "waktu_pemindaian_{zone}",
            "keputusan_pemindaian",
            "alasan_pemindaian",
            "jadwal",
            "kode",
            "catatan",
            "id_peristiwa",
        ),
        (
            "time_{zone}",
            "guard",
            "action",
            "action_code",
            "reason",
            "reason_code",
            "people",
            "scan_time_{zone}",
            "scan_verdict",
            "scan_reason",
            "booking_ref",
            "code",
            "note",
            "event_id",
        ),
    ),
}


def columns(table: str, lang: Lang = Lang.ID, zone: str = "WIB") -> list[str]:
    """The heading row of one of the tables (see the module's docstring)."""
    indonesian, english = _COLUMNS[table]
    return [c.format(zone=zone) for c in (indonesian if lang == Lang.ID else english)]


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: DailyReport, lang: Lang = Lang.ID, sep: str = DEFAULT_SEPARATOR) -> str:
    """The daily report as CSV text, starting with the byte-order mark; write it as UTF-8."""
    if sep not in SEPARATORS:
        raise ValueError(f"CSV separator must be one of {' '.join(SEPARATORS)}, not {sep!r}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    stats = report.stats
    zone = stats.zone

    def t(key: str) -> str:
        return names.text(key, lang)

    def rows(*lines: Sequence[object]) -> None:
        for line in lines:
            writer.writerow([_cell(v) for v in line])

    head, totals = t("title"), t("totals")
    rows(
        columns("summary", lang),
        [head, t("office"), report.office],
        [head, t("kiosk_gate"), f"{report.kiosk_id} / {report.gate}"],
        [head, t("day"), stats.day.isoformat()],
        [head, t("zone"), f"{zone} ({stats.zone_key})"],
        [head, t("generated"), daily_words.generated(report)],
        [head, t("audit_chain"), daily_words.audit_chain(report, lang)],
        [head, t("audit_head"), daily_words.audit_head(report)],
        [head, t("anchored"), daily_words.anchored(report, lang)],
        *([head, t("audit_chain"), problem] for problem in report.audit_problems),
        [totals, t("admitted_scans"), stats.total(Verdict.ADMIT)],
        [totals, t("denied_scans"), stats.total(Verdict.DENY)],
        [totals, t("referred_scans"), stats.total(Verdict.REFER)],
        [totals, t("persons_admitted"), stats.persons_admitted],
        [totals, t("broker_alerts"), stats.broker_alerts],
        *([totals, names.action(kind, lang), stats.actions[kind]] for kind in ActionKind),
    )
    writer.writerow([])
    rows(columns("per_hour", lang))
    for hour in sorted(stats.per_hour):
        counts = stats.per_hour[hour]
        rows([f"{hour:02d}", *(counts[v.value] for v in (Verdict.ADMIT, Verdict.DENY, Verdict.REFER))])
    writer.writerow([])
    rows(
        columns("by_reason", lang),
        *([code, names.reason(code, lang), n] for code, n in stats.per_reason.most_common()),
    )
    writer.writerow([])
    rows(columns("per_guard", lang), *([name, n] for name, n in sorted(stats.overrides_per_guard.items())))
    writer.writerow([])
    rows(
        columns("override_reasons", lang),
        *(
            [code, names.action_reason(ActionKind.OVERRIDE, code, lang), n]
            for code, n in sorted(stats.overrides_per_reason.items())
        ),
    )
    writer.writerow([])
    rows(
        columns("actions", lang, zone),
        *(
            [
                a.local_time,
                a.guard_name,
                names.action(a.kind, lang),
                a.kind,
                names.action_reason(a.kind, a.reason, lang),
                a.reason,
                a.persons,
                a.ref_local_time,
                names.verdict(a.ref_verdict, lang) if a.ref_verdict else "",
                names.reason(a.ref_reason, lang) if a.ref_reason else "",
                a.booking_ref,
                a.code_masked,
                a.note,
                a.event_uuid,
            ]
            for a in report.actions
        ),
    )
    return BOM + out.getvalue()
