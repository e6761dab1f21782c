"""The daily report: one office day's statistics, every guard action, and the audit chain's state,
for the office's integrity-zone file (and today's statistics for the console).

The report's data is here; its CSV form is daily_csv.py and its printed (HTML) form daily_html.py,
which kiosk/ui/report_pdf.py prints to PDF. It carries booking refs and masked codes only, no
applicant names or NIK digits. Codes stay codes here (the forms name them, kiosk/store/reports/names.py)
and every time is the office's local time.

`held_days` is the span of days the kiosk can report on: from the day of its first audit entry or
event (set-up) to today. Events are never purged (only bookings and, past retention, guard notes), so
every day in it can be reported."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kiosk.domain.model import PATTERN_REASONS, Verdict
from kiosk.store import receipts
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import DECISION_KINDS, ActionKind
from kiosk.store.queue import today_bounds
from kiosk.store.schema import AuditRow, GuardRow, ScanEventRow
from kiosk.store.times import from_text


@dataclass(slots=True)
class DailyStats:
    """One office day: decisions per hour, per reason, and what guards did."""

    day: dt.date
    zone: str  # WIB, WITA or WIT
    per_hour: dict[int, Counter[str]] = field(default_factory=dict)  # hour -> verdict -> scans
    per_reason: Counter[str] = field(default_factory=Counter)  # DENY/REFER reasons
    overrides_per_guard: Counter[str] = field(default_factory=Counter)
    overrides_per_reason: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)  # action kind -> count
    persons_admitted: int = 0  # by the gate and by overrides

    zone_key: str = "Asia/Jakarta"  # the office's IANA zone

    def total(self, verdict: Verdict) -> int:
        return sum(hour[verdict.value] for hour in self.per_hour.values())

    @property
    def broker_alerts(self) -> int:
        """Scans a broker pattern sent to the officer (kiosk/domain/patterns.py), of every kind."""
        return sum(self.per_reason[reason.value] for reason in PATTERN_REASONS)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone_key)


@dataclass(frozen=True, slots=True)
class ActionLine:
    """One guard action in the daily report (no names or NIK digits of applicants)."""

    local_time: str
    guard_name: str
    kind: str
    reason: str
    persons: int
    ref_local_time: str
    ref_verdict: str
    ref_reason: str
    booking_ref: str
    code_masked: str
    note: str
    event_uuid: str


@dataclass(frozen=True, slots=True)
class DailyReport:
    office_code: str
    kiosk_id: str
    gate: str
    stats: DailyStats
    actions: tuple[ActionLine, ...]
    generated_at: dt.datetime
    audit_ok: bool
    audit_entries: int
    audit_head_seq: int
    audit_head_hash: str
    audit_problems: tuple[str, ...] = ()
    #: How far the server anchored the chain ("" when no receipt: a kiosk without a server, whose head
    #: is signed on paper and checked with `kiosk audit verify --expect SEQ:HASH`).
    audit_anchored: str = ""
    #: The office's full name when known ("" otherwise: the forms show the code).
    office_name: str = ""
    #: No scan and no guard action that day.
    empty: bool = False
    #: The server receipt the chain is anchored by, as (entry, server time UTC, entries not yet).
    anchored_receipt: tuple[int, str, int] | None = None

    @property
    def office(self) -> str:
        """The office as printed: its full name and code, or the code alone."""
        return f"{self.office_name} ({self.office_code})" if self.office_name else self.office_code

    @property
    def local_generated_at(self) -> dt.datetime:
        return self.generated_at.astimezone(self.stats.tz)


def daily_stats(store: KioskStore, now: dt.datetime, day: dt.date | None = None) -> DailyStats:
    rules = store.settings.rules()
    day, start, end = today_bounds(rules, now, day)
    stats = DailyStats(day, rules.zone_abbreviation, zone_key=rules.tz.key)
    with store.reading() as connection:
        rows = connection.execute(
            select(
                ScanEventRow.occurred_at,
                ScanEventRow.kind,
                ScanEventRow.verdict,
                ScanEventRow.reason,
                ScanEventRow.persons,
                GuardRow.name,
            )
            .join(GuardRow, GuardRow.id == ScanEventRow.guard_id, isouter=True)
            .where(ScanEventRow.occurred_at >= start, ScanEventRow.occurred_at < end)
        ).all()
    tz = rules.tz
    for row in rows:
        stats.persons_admitted += row.persons
        if row.kind in DECISION_KINDS:
            hour = from_text(row.occurred_at).astimezone(tz).hour
            stats.per_hour.setdefault(hour, Counter())[row.verdict] += 1
            if row.verdict != Verdict.ADMIT.value:
                stats.per_reason[row.reason] += 1
        else:
            stats.actions[row.kind] += 1
            if row.kind == ActionKind.OVERRIDE:
                stats.overrides_per_guard[row.name or "?"] += 1
                stats.overrides_per_reason[row.reason] += 1
    return stats


def daily_report(
    store: KioskStore,
    now: dt.datetime,
    day: dt.date | None = None,
    checked_receipts: Sequence[receipts.Receipt] = (),
    office_name: str = "",
) -> DailyReport:
    """Statistics, every guard action of the day and the audit chain's state, for the office's file.
    `checked_receipts`: the server's receipts whose signatures were checked (kiosk/sync/anchoring.py);
    `office_name`: the office's full name to print; "" (default): the one the kiosk holds (its server's
    office directory, or `kiosk setup --office-name`), else the code alone."""
    rules = store.settings.rules()
    stats = daily_stats(store, now, day)
    _, start, end = today_bounds(rules, now, stats.day)
    tz = rules.tz
    lines: list[ActionLine] = []
    with store.reading() as connection:
        rows = connection.execute(
            select(ScanEventRow, GuardRow.name.label("guard_name"))
            .join(GuardRow, GuardRow.id == ScanEventRow.guard_id, isouter=True)
            .where(
                ScanEventRow.occurred_at >= start,
                ScanEventRow.occurred_at < end,
                ScanEventRow.kind.in_([k.value for k in ActionKind]),
            )
            .order_by(ScanEventRow.occurred_at)
        ).all()
        refs = {
            r.event_uuid: r
            for r in connection.execute(
                select(
                    ScanEventRow.event_uuid, ScanEventRow.occurred_at, ScanEventRow.verdict, ScanEventRow.reason
                ).where(ScanEventRow.event_uuid.in_({row.ref_event for row in rows if row.ref_event}))
            )
        }
    for row in rows:
        ref = refs.get(row.ref_event)
        lines.append(
            ActionLine(
                local_time=f"{from_text(row.occurred_at).astimezone(tz):%H.%M.%S}",
                guard_name=row.guard_name or "?",
                kind=row.kind,
                reason=row.reason,
                persons=row.persons,
                ref_local_time=f"{from_text(ref.occurred_at).astimezone(tz):%H.%M.%S}" if ref else "",
                ref_verdict=ref.verdict if ref else "",
                ref_reason=ref.reason if ref else "",
                booking_ref=row.booking_ref or "",
                code_masked=row.code_masked,
                note=row.note or "",
                event_uuid=row.event_uuid,
            )
        )
    identity = store.settings.identity()
    verify = store.audit.verify(checked_receipts)
    head = verify.head
    anchored = verify.anchored
    return DailyReport(
        office_code=identity.office_code,
        kiosk_id=identity.kiosk_id,
        gate=identity.gate,
        stats=stats,
        actions=tuple(lines),
        generated_at=now,
        audit_ok=verify.ok,
        audit_entries=verify.entries,
        audit_head_seq=head.seq,
        audit_head_hash=head.hash,
        audit_problems=tuple(verify.problems[:20]),
        audit_anchored=_anchored_text(anchored, verify.unanchored),
        office_name=office_name.strip() or store.settings.office_name(),
        empty=not stats.per_hour and not lines,
        anchored_receipt=None if anchored is None else (anchored.seq, anchored.server_time, verify.unanchored),
    )


def report_stem(report: DailyReport) -> str:
    """report-<kiosk>-<day>: a day's report's file name, without its suffix."""
    kiosk = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in report.kiosk_id) or "kiosk"
    return f"report-{kiosk}-{report.stats.day.isoformat()}"


@dataclass(frozen=True, slots=True)
class HeldDays:
    """The days the kiosk can report on, in the office's zone: `first` (set-up) to `today`."""

    first: dt.date
    today: dt.date
    zone: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.today


def held_days(store: KioskStore, now: dt.datetime) -> HeldDays:
    """From the day of the kiosk's first audit entry or event (its set-up) to today, office time."""
    rules = store.settings.rules()
    tz = rules.tz
    today = now.astimezone(tz).date()
    with store.reading() as connection:
        firsts = [
            connection.execute(select(func.min(AuditRow.at))).scalar(),
            connection.execute(select(func.min(ScanEventRow.occurred_at))).scalar(),
        ]
    known = [from_text(t).astimezone(tz).date() for t in firsts if t]
    return HeldDays(min(known, default=today), today, rules.zone_abbreviation)


def _anchored_text(anchored: receipts.Receipt | None, unanchored: int) -> str:
    if anchored is None:
        return ""
    return f"up to entry {anchored.seq} (server receipt of {anchored.server_time[:16]}Z); {unanchored} not yet"
