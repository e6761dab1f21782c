"""The daily report as CSV for Excel: a BOM, ',' or ';' between fields, one table of
section;item;detail;value rows, Indonesian or English words."""

from __future__ import annotations

import csv
import io
import re

from kiosk.server.web import labels
from kiosk.server.web.queries.report import Report

SEPARATORS = (",", ";")
_HEAD = {"id": ("bagian", "butir", "rincian", "nilai"), "en": ("section", "item", "detail", "value")}


#: What makes Excel (or LibreOffice) read a cell as a formula, fullwidth forms included.
_FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"
#: A formula can also start after a separator of the other kind (a ',' file opened where ';' is the
#: list separator, or the reverse) or after a line break inside a cell, and after spaces.
_INNER_FORMULA = re.compile(f"([,;\\t\\r\\n]\\s*)([{re.escape(_FORMULA_START)}])")


def _cell(value: object) -> object:
    """Free text (a guard's note, a gate, a reason) never reaches a spreadsheet as a formula: an
    apostrophe goes before =, +, -, @ at the cell's start (after any spaces) and after every
    separator or line break inside it, whichever separator the file uses."""
    if not isinstance(value, str):
        return value
    text = _INNER_FORMULA.sub(r"\1'\2", value)
    if text.lstrip()[:1] in (*_FORMULA_START, "\t", "\r"):
        text = "'" + text
    return text


class _Writer:
    def __init__(self, out: io.StringIO, sep: str) -> None:
        self._writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")

    def writerow(self, row: list[object] | tuple[object, ...]) -> None:
        self._writer.writerow([_cell(value) for value in row])


def _w(lang: str, indonesian: str, english: str) -> str:
    return indonesian if lang == "id" else english


def report_csv(report: Report, lang: str = "id", sep: str = ",") -> str:
    out = io.StringIO()
    writer = _Writer(out, sep)
    writer.writerow(_HEAD[lang])
    d = report.day

    def w(indonesian: str, english: str) -> str:
        return _w(lang, indonesian, english)

    writer.writerow([w("kantor", "office"), report.office_code, report.office_name, ""])
    writer.writerow([w("tanggal", "day"), d.day.isoformat(), report.zone_key, ""])
    writer.writerow([w("dibuat", "generated"), report.generated_at.strftime("%Y-%m-%d %H:%M"), "", ""])
    for verdict in ("ADMIT", "REFER", "DENY"):
        writer.writerow(
            [w("jumlah", "totals"), labels.name(labels.VERDICTS, verdict, lang), verdict, d.totals.get(verdict, 0)]
        )
    writer.writerow([w("jumlah", "totals"), w("orang masuk", "people admitted"), "", d.persons_admitted])
    for hour in d.hours:
        for gate in d.gates:
            counts = d.per_hour_gate.get((hour, gate))
            if not counts:
                continue
            for verdict in ("ADMIT", "REFER", "DENY"):
                writer.writerow(
                    [w("per jam", "per hour"), f"{hour:02d}:00", f"{gate} {verdict}", counts.get(verdict, 0)]
                )
    for (verdict, reason), n in sorted(d.per_reason.items()):
        writer.writerow(
            [w("per alasan", "by reason"), labels.name(labels.REASONS, reason, lang), f"{verdict} {reason}", n]
        )
    for guard, n in sorted(d.overrides_per_guard.items()):
        writer.writerow([w("izin per petugas", "overrides per guard"), guard, "", n])
    for reason, n in sorted(d.overrides_per_reason.items()):
        writer.writerow(
            [w("izin per alasan", "overrides by reason"), labels.name(labels.REASONS, reason, lang), reason, n]
        )
    for a in d.actions:
        scan = f" ({a.ref_at:%H:%M:%S} {a.ref_verdict} {a.ref_reason})" if a.ref_at else ""
        detail = f"{a.gate} {a.guard} {a.kind} {a.reason} x{a.persons} {a.booking_ref or ''} {a.code_masked}{scan}"
        writer.writerow([w("tindakan petugas", "guard action"), a.at.strftime("%H:%M:%S"), detail, a.note])
    for head in report.heads:
        value = "-" if head.seq is None else f"{head.seq}:{head.hash}"
        state = w("diangkur", "anchored") if head.anchored else w("dilaporkan", "reported")
        writer.writerow([w("kepala rantai audit", "audit head"), f"{head.gate} {head.kiosk_id}", state, value])
    return "\ufeff" + out.getvalue()
