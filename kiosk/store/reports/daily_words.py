"""The daily report's values as both its forms (CSV and printed) write them, in one language: times in
the office's zone with the zone named (WIB/WITA/WIT), the audit head in groups of four, the anchoring
line. The words themselves are names.py."""

from __future__ import annotations

import datetime as dt

from kiosk.domain.explain import Lang
from kiosk.store.reports import names
from kiosk.store.reports.daily import DailyReport
from kiosk.store.times import from_text


def grouped(hash_text: str) -> str:
    """A hash in groups of four, to be read off paper and typed back (`kiosk audit verify --expect`)."""
    return " ".join(hash_text[i : i + 4] for i in range(0, len(hash_text), 4))


def local_moment(moment: dt.datetime, report: DailyReport) -> str:
    """07-12-2026 10.16.02 WIB: a moment in the office's zone, the zone named."""
    local = moment.astimezone(report.stats.tz)
    return f"{local:%d-%m-%Y %H.%M.%S} {report.stats.zone}"


def generated(report: DailyReport) -> str:
    return local_moment(report.generated_at, report)


def audit_chain(report: DailyReport, lang: Lang) -> str:
    word = names.text("audit_ok" if report.audit_ok else "audit_broken", lang)
    return f"{word} ({report.audit_entries} {names.text('entries', lang)})"


def audit_head(report: DailyReport) -> str:
    """ENTRY: hash in groups of four."""
    return f"{report.audit_head_seq}: {grouped(report.audit_head_hash)}"


def anchored(report: DailyReport, lang: Lang) -> str:
    """How far the server anchored the chain, its receipt's time in office time; or the paper's part."""
    if report.anchored_receipt is None:
        return names.text("unanchored", lang)
    seq, server_time, unanchored = report.anchored_receipt
    try:
        when = local_moment(from_text(server_time), report)
    except ValueError:
        when = server_time
    if lang == Lang.ID:
        return f"sampai entri {seq} (tanda terima server {when}); {unanchored} entri belum"
    return f"up to entry {seq} (server receipt of {when}); {unanchored} not yet"
