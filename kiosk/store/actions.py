"""Guard actions, the guard's queue, today's statistics and the daily report.

Every guard action (admit with a reason, dismiss, acknowledge, note) goes down the same path as a scan:
one BEGIN IMMEDIATE transaction that writes a scan_events row (kind override/dismiss/ack/note, the
guard's id, the scan it refers to, a cleaned note), its outbox row and its audit entry through
recorder.write_event. Whether a scan is still open is checked inside that transaction, so when two
guards act on one scan only the first resolving action succeeds; the second gets AlreadyResolvedError
naming who was first. Notes may be added to a scan at any time, resolved or not.

An override is an admission: it carries the number of people let in, so a later scan of the same code
sees them as entries (ALREADY_ADMITTED), exactly as if the gate had admitted them.

The guard's queue shows names and NIK last 4 (to compare with the ID card); the daily report, which
leaves the kiosk for the office's integrity-zone file, carries booking refs and masked codes only.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import shutil
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.model import MAX_PARTY_SIZE, Booking, OfficeRules, Verdict
from kiosk.store import bookings as booking_repo
from kiosk.store import guards as guard_repo
from kiosk.store import receipts, settings
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.recorder import write_event
from kiosk.store.schema import BookingRow, GuardRow, ScanEventRow, SyncStateRow
from kiosk.store.times import from_text, to_text

#: Longest note kept; longer text is cut (and marked) rather than refused, so nothing typed is lost silently.
MAX_NOTE_CHARS = 500
#: An "other" override must say what happened.
MIN_OTHER_REASON_CHARS = 5
#: Kinds of scan_events rows that are decisions (a guard acts on these), and the guard actions.
DECISION_KINDS = ("scan", "manual")


class ActionKind(enum.StrEnum):
    OVERRIDE = "override"
    DISMISS = "dismiss"
    ACK = "ack"
    NOTE = "note"


#: Actions that close a scan: after the first of these, no other resolving action succeeds.
RESOLVING = frozenset({ActionKind.OVERRIDE, ActionKind.DISMISS, ActionKind.ACK})

#: What an action row stores in its `reason` column (an override stores its OverrideReason).
_ACTION_REASON = {ActionKind.DISMISS: "DISMISSED", ActionKind.ACK: "ACKNOWLEDGED", ActionKind.NOTE: "NOTE"}


class OverrideReason(enum.StrEnum):
    """The closed list of reasons a guard may admit someone the kiosk did not. The value is stored."""

    PRIORITY_ELDERLY = "PRIORITY_ELDERLY"  # priority walk-in: elderly (over 60)
    PRIORITY_DISABILITY = "PRIORITY_DISABILITY"  # priority walk-in: disability
    PRIORITY_CHILD = "PRIORITY_CHILD"  # priority walk-in: child under 5
    LOST_PASSPORT = "LOST_PASSPORT"  # lost or damaged passport walk-in
    SPECIAL_RESCHEDULE = "SPECIAL_RESCHEDULE"  # special reschedule after an office system failure
    ID_CHECKED = "ID_CHECKED"  # identity checked against the ID card
    OTHER = "OTHER"  # with text required


class ActionError(Exception):
    """A guard action that cannot be done; the message is for the guard."""


class AlreadyResolvedError(ActionError):
    """Another guard (or this one) already resolved the scan."""

    def __init__(self, kind: str, guard_name: str, at: dt.datetime) -> None:
        super().__init__(f"already resolved ({kind}) by {guard_name} at {at:%H:%M:%S} UTC")
        self.kind, self.guard_name, self.at = kind, guard_name, at


@dataclass(frozen=True, slots=True)
class ActionResult:
    """A guard action that is on disk (event, outbox row, audit entry)."""

    event_uuid: str
    kind: ActionKind
    ref_event: str
    guard_id: int
    audit_seq: int
    persons: int = 0
    reason: str = ""


# --- notes ----------------------------------------------------------------------------------------

_MARKUP = str.maketrans({"<": "‹", ">": "›", "&": "+"})


def clean_note(text: str, limit: int = MAX_NOTE_CHARS) -> str:
    """A note as it is stored: control and invisible format characters (bidi overrides, zero-width)
    dropped, line breaks and tabs turned into spaces, runs of spaces collapsed, markup characters
    replaced by harmless look-alikes (no screen, PDF or browser can take it as markup), cut to `limit`."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if char in "\r\n\t" or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(char)
    cleaned = " ".join("".join(kept).translate(_MARKUP).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


# --- the actions ----------------------------------------------------------------------------------


def override(
    store: KioskStore,
    ref_event: str,
    guard_id: int,
    reason: OverrideReason | str,
    now: dt.datetime,
    note: str = "",
    persons: int | None = None,
) -> ActionResult:
    """Admit the applicant of a denied or referred scan for a reason from the closed list.

    `persons` defaults to the people the booking still has entries for (at least one)."""
    try:
        reason = OverrideReason(reason)
    except ValueError:
        raise ActionError(f"not an override reason: {reason!r}") from None
    text = clean_note(note)
    if reason is OverrideReason.OTHER and len(text) < MIN_OTHER_REASON_CHARS:
        raise ActionError("an override for another reason needs a description of what happened")
    if persons is not None and not 1 <= persons <= MAX_PARTY_SIZE:
        raise ActionError(f"an override admits 1 to {MAX_PARTY_SIZE} people")
    return _act(store, ActionKind.OVERRIDE, ref_event, guard_id, now, text, reason=reason.value, persons=persons)


def dismiss(store: KioskStore, ref_event: str, guard_id: int, now: dt.datetime, note: str = "") -> ActionResult:
    """Close a scan without admitting anyone (a misread, the applicant left...)."""
    return _act(store, ActionKind.DISMISS, ref_event, guard_id, now, clean_note(note))


def acknowledge(store: KioskStore, ref_event: str, guard_id: int, now: dt.datetime) -> ActionResult:
    """The guard has seen the scan and dealt with the applicant; the refusal stands."""
    return _act(store, ActionKind.ACK, ref_event, guard_id, now, "")


def add_note(store: KioskStore, ref_event: str, guard_id: int, text: str, now: dt.datetime) -> ActionResult:
    """Attach a note to a scan (any verdict); any number, before or after it is resolved. A code typed
    in by a guard gets one automatically, so the record says who typed it."""
    cleaned = clean_note(text)
    if not cleaned:
        raise ActionError("a note needs some text")
    return _act(store, ActionKind.NOTE, ref_event, guard_id, now, cleaned)


def _act(
    store: KioskStore,
    kind: ActionKind,
    ref_event: str,
    guard_id: int,
    now: dt.datetime,
    note: str,
    reason: str = "",
    persons: int | None = None,
) -> ActionResult:
    if kind is ActionKind.OVERRIDE:
        store.refuse_if_damaged()  # an override admits: never on a database whose check failed
    try:
        with store.writing() as connection:
            _check_guard(connection, guard_id)
            ref = _decision_row(connection, ref_event, admitted_ok=kind is ActionKind.NOTE)
            if kind in RESOLVING:
                _check_open(connection, ref_event)
            admitted = 0
            if kind is ActionKind.OVERRIDE:
                admitted = persons if persons is not None else _persons_left(store, connection, ref)
            identity = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY))
            facts = {"source": "guard", "ref_verdict": ref["verdict"], "ref_reason": ref["reason"]}
            row: dict[str, Any] = {
                "event_uuid": str(uuid.uuid4()),
                "occurred_at": to_text(now),
                "kind": kind.value,
                "kiosk_id": identity.kiosk_id,
                "gate": identity.gate,
                "booking_ref": ref["booking_ref"],
                "code_hash": ref["code_hash"],
                "code_masked": ref["code_masked"],
                "payload_kind": ref["payload_kind"],
                "verdict": Verdict.ADMIT.value if kind is ActionKind.OVERRIDE else ref["verdict"],
                "reason": reason or _ACTION_REASON[kind],
                "persons": admitted,
                "service_date": ref["service_date"],
                "guard_id": guard_id,
                "ref_event": ref_event,
                "note": note or None,
                "facts": json.dumps(facts, sort_keys=True),
            }
            head = write_event(connection, row, identity)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not record the guard action: {getattr(exc, 'orig', exc)}") from exc
    store.write_anchor()  # the same after-commit step as store.record(): the audit head file
    return ActionResult(row["event_uuid"], kind, ref_event, guard_id, head.seq, admitted, row["reason"])


def _check_guard(connection: Connection, guard_id: int) -> None:
    active = connection.execute(select(GuardRow.active).where(GuardRow.id == guard_id)).scalar()
    if active is None:
        raise ActionError("unknown guard")
    if not active:
        raise ActionError("this guard is disabled")


def _decision_row(connection: Connection, event_uuid: str, admitted_ok: bool = False) -> dict[str, Any]:
    row = connection.execute(select(ScanEventRow).where(ScanEventRow.event_uuid == event_uuid)).first()
    if row is None:
        raise ActionError("no such scan")
    mapping = dict(row._mapping)
    if mapping["kind"] not in DECISION_KINDS:
        raise ActionError("guard actions refer to a scan, not to another action")
    if not admitted_ok and mapping["verdict"] not in (Verdict.DENY.value, Verdict.REFER.value):
        raise ActionError("this scan was admitted; there is nothing to act on")
    return mapping


def _check_open(connection: Connection, ref_event: str) -> None:
    first = connection.execute(
        select(ScanEventRow.kind, ScanEventRow.occurred_at, GuardRow.name)
        .join(GuardRow, GuardRow.id == ScanEventRow.guard_id, isouter=True)
        .where(ScanEventRow.ref_event == ref_event, ScanEventRow.kind.in_([k.value for k in RESOLVING]))
        .order_by(ScanEventRow.id)
        .limit(1)
    ).first()
    if first is not None:
        raise AlreadyResolvedError(first.kind, first.name or "?", from_text(first.occurred_at))


def _persons_left(store: KioskStore, connection: Connection, ref: dict[str, Any]) -> int:
    """People the booking still has entries for, at least one (a second use admits one person)."""
    if ref["code_hash"] is None:
        return 1
    try:
        booking = booking_repo.find(connection, store.hasher, ref["code_hash"])
    except booking_repo.TamperedRowError as exc:
        raise ActionError("the booking in the database was changed by hand; call the office's IT staff") from exc
    if booking is None:
        return 1
    used = sum(entry.persons for entry in booking_repo.entries(connection, booking.booking_ref))
    return min(max(booking.party_size - used, 1), MAX_PARTY_SIZE)


# --- guard login ----------------------------------------------------------------------------------


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    WRONG_PIN = "wrong_pin"
    LOCKED = "locked"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    guard: guard_repo.Guard | None = None
    tries_left: int = 0
    locked_until: dt.datetime | None = None


def login(store: KioskStore, name: str, pin: str, now: dt.datetime, purpose: str = "login") -> LoginResult:
    """Check a guard's PIN (the store counts failures, locks out after five and audits the attempt) and
    say what happened. `purpose` "leave": the guard confirms leaving kiosk mode (audited as such)."""
    try:
        return LoginResult(LoginOutcome.OK, store.authenticate(name, pin, now, purpose))
    except guard_repo.GuardError:
        pass
    guard = next((g for g in store.guards() if g.name == name), None)
    if guard is None:
        return LoginResult(LoginOutcome.UNKNOWN)
    if not guard.active:
        return LoginResult(LoginOutcome.DISABLED, guard)
    if guard.locked_until and from_text(guard.locked_until) > now:
        return LoginResult(LoginOutcome.LOCKED, guard, locked_until=from_text(guard.locked_until))
    return LoginResult(LoginOutcome.WRONG_PIN, guard, tries_left=guard_repo.MAX_FAILED_ATTEMPTS - guard.failed_attempts)


# --- the guard's queue ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: ActionKind
    guard_name: str
    at: dt.datetime
    reason: str
    persons: int
    note: str


@dataclass(frozen=True, slots=True)
class GuardNote:
    guard_name: str
    at: dt.datetime
    text: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One denied or referred scan as the guard sees it: enough to compare with the applicant's ID card."""

    event_uuid: str
    at: dt.datetime  # UTC
    local_time: str  # "HH.MM" in the office's zone
    verdict: Verdict
    reason: str
    source: str
    gate: str
    code_masked: str
    payload_kind: str
    booking_ref: str | None
    display_name: str
    nik_last4: str
    party_size: int | None
    category: str
    slot: str  # "10.30-11.30", empty when the booking is unknown
    first_entry_time: str  # for ALREADY_ADMITTED: "HH.MM" office time
    first_entry_gate: str
    booking_tampered: bool = False
    resolution: Resolution | None = None
    notes: tuple[GuardNote, ...] = ()
    #: Which path decided (the door's facts): "server" (the online check across gates) or "local".
    decided_by: str = "local"
    #: Why this kiosk decided without the server's answer (timeout, unreachable, not enrolled, ...).
    fallback: str = ""

    @property
    def is_open(self) -> bool:
        return self.resolution is None


def today_bounds(rules: OfficeRules, now: dt.datetime, day: dt.date | None = None) -> tuple[dt.date, str, str]:
    """The office-local day holding `now` (or `day`) and its start and end as stored UTC text."""
    tz = rules.tz
    day = day or now.astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return day, to_text(start), to_text(start + dt.timedelta(days=1))


def queue(store: KioskStore, now: dt.datetime, limit: int = 500) -> list[QueueItem]:
    """Today's DENY and REFER scans, open ones first, newest first within each group."""
    rules = store.rules()
    _, start, end = today_bounds(rules, now)
    with store.reading() as connection:
        rows = [
            dict(r._mapping)
            for r in connection.execute(
                select(ScanEventRow)
                .where(
                    ScanEventRow.occurred_at >= start,
                    ScanEventRow.occurred_at < end,
                    ScanEventRow.kind.in_(DECISION_KINDS),
                    ScanEventRow.verdict.in_([Verdict.DENY.value, Verdict.REFER.value]),
                )
                .order_by(ScanEventRow.occurred_at.desc())
                .limit(limit)
            )
        ]
        uuids = [r["event_uuid"] for r in rows]
        actions = _actions_for(connection, uuids)
        bookings = _bookings_for(store, connection, {r["code_hash"] for r in rows if r["code_hash"]})
    items = [
        _queue_item(row, rules, bookings.get(row["code_hash"]), actions.get(row["event_uuid"], [])) for row in rows
    ]
    items.sort(key=lambda item: (not item.is_open, -item.at.timestamp()))
    return items


def _actions_for(connection: Connection, uuids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for chunk_start in range(0, len(uuids), 500):
        chunk = uuids[chunk_start : chunk_start + 500]
        for row in connection.execute(
            select(ScanEventRow, GuardRow.name.label("guard_name"))
            .join(GuardRow, GuardRow.id == ScanEventRow.guard_id, isouter=True)
            .where(ScanEventRow.ref_event.in_(chunk))
            .order_by(ScanEventRow.id)
        ):
            mapping = dict(row._mapping)
            found.setdefault(mapping["ref_event"], []).append(mapping)
    return found


_TAMPERED = object()


def _bookings_for(store: KioskStore, connection: Connection, hashes: Iterable[bytes]) -> dict[bytes, Any]:
    """Bookings by code hash; a row that fails its seal maps to _TAMPERED (shown as such, not trusted)."""
    found: dict[bytes, Any] = {}
    wanted = list(hashes)
    for chunk_start in range(0, len(wanted), 500):
        chunk = wanted[chunk_start : chunk_start + 500]
        for row in connection.execute(select(BookingRow).where(BookingRow.code_hash.in_(chunk))):
            try:
                found[row.code_hash] = booking_repo.from_row(store.hasher, row)
            except booking_repo.TamperedRowError:
                found[row.code_hash] = _TAMPERED
    return found


def _queue_item(row: dict[str, Any], rules: OfficeRules, booking: Any, actions: list[dict[str, Any]]) -> QueueItem:
    facts = _facts(row["facts"])
    at = from_text(row["occurred_at"])
    known: Booking | None = booking if isinstance(booking, Booking) else None
    resolution: Resolution | None = None
    notes: list[GuardNote] = []
    for action in actions:
        action_at = from_text(action["occurred_at"])
        guard_name = action["guard_name"] or "?"
        if action["kind"] == ActionKind.NOTE:
            notes.append(GuardNote(guard_name, action_at, action["note"] or ""))
        elif resolution is None and action["kind"] in RESOLVING:
            resolution = Resolution(
                ActionKind(action["kind"]),
                guard_name,
                action_at,
                action["reason"],
                action["persons"],
                action["note"] or "",
            )
            if action["note"]:
                notes.append(GuardNote(guard_name, action_at, action["note"]))
    return QueueItem(
        event_uuid=row["event_uuid"],
        at=at,
        local_time=f"{at.astimezone(rules.tz):%H.%M}",
        verdict=Verdict(row["verdict"]),
        reason=row["reason"],
        source=facts.get("source", row["kind"]),
        gate=row["gate"],
        code_masked=row["code_masked"],
        payload_kind=row["payload_kind"],
        booking_ref=row["booking_ref"],
        display_name=known.display_name if known else "",
        nik_last4=known.nik_last4 if known else "",
        party_size=known.party_size if known else None,
        category=known.category.value if known else "",
        slot=f"{known.slot_start:%H.%M}-{known.slot_end:%H.%M}" if known else "",
        first_entry_time=facts.get("first_entry_time", ""),
        first_entry_gate=facts.get("first_entry_gate", ""),
        booking_tampered=booking is _TAMPERED,
        resolution=resolution,
        notes=tuple(notes),
        decided_by=facts.get("decided_by", "local"),
        fallback=facts.get("fallback", ""),
    )


def _facts(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


# --- statistics and the daily report --------------------------------------------------------------


@dataclass(slots=True)
class DailyStats:
    """One office day: decisions per hour, per reason, and what guards did."""

    day: dt.date
    zone: str
    per_hour: dict[int, Counter[str]] = field(default_factory=dict)  # hour -> verdict -> scans
    per_reason: Counter[str] = field(default_factory=Counter)  # DENY/REFER reasons
    overrides_per_guard: Counter[str] = field(default_factory=Counter)
    overrides_per_reason: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)  # action kind -> count
    persons_admitted: int = 0  # by the gate and by overrides

    def total(self, verdict: Verdict) -> int:
        return sum(hour[verdict.value] for hour in self.per_hour.values())


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


def daily_stats(store: KioskStore, now: dt.datetime, day: dt.date | None = None) -> DailyStats:
    rules = store.rules()
    day, start, end = today_bounds(rules, now, day)
    stats = DailyStats(day, rules.zone_abbreviation)
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
) -> DailyReport:
    """Statistics, every guard action of the day and the audit chain's state, for the office's file.
    `checked_receipts`: the server's receipts whose signatures were checked (kiosk/sync/anchoring.py)."""
    rules = store.rules()
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
    identity = store.identity()
    verify = store.verify_audit(checked_receipts)
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
    )


def _anchored_text(anchored: receipts.Receipt | None, unanchored: int) -> str:
    if anchored is None:
        return ""
    return f"up to entry {anchored.seq} (server receipt of {anchored.server_time[:16]}Z); {unanchored} not yet"


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: DailyReport) -> str:
    """The daily report as CSV: a header block, decisions per hour, reasons, overrides, every action."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    stats = report.stats

    def rows(*lines: Sequence[object]) -> None:
        for line in lines:
            writer.writerow([_cell(v) for v in line])

    rows(
        ["section", "field", "value"],
        ["report", "office", report.office_code],
        ["report", "kiosk", report.kiosk_id],
        ["report", "gate", report.gate],
        ["report", "day", stats.day.isoformat()],
        ["report", "zone", stats.zone],
        ["report", "generated_at_utc", to_text(report.generated_at)],
        ["report", "audit_chain", "OK" if report.audit_ok else "BROKEN"],
        ["report", "audit_entries", report.audit_entries],
        ["report", "audit_head", f"{report.audit_head_seq}:{report.audit_head_hash}"],
        ["report", "audit_anchored", report.audit_anchored or "no server receipt: sign the head on paper"],
        *(["report", "audit_problem", problem] for problem in report.audit_problems),
        ["totals", "admitted_scans", stats.total(Verdict.ADMIT)],
        ["totals", "denied_scans", stats.total(Verdict.DENY)],
        ["totals", "referred_scans", stats.total(Verdict.REFER)],
        ["totals", "persons_admitted", stats.persons_admitted],
        *(["totals", f"guard_{kind}", count] for kind, count in sorted(stats.actions.items())),
    )
    writer.writerow([])
    rows(["hour", "admitted", "denied", "referred"])
    for hour in sorted(stats.per_hour):
        counts = stats.per_hour[hour]
        rows([f"{hour:02d}", counts[Verdict.ADMIT.value], counts[Verdict.DENY.value], counts[Verdict.REFER.value]])
    writer.writerow([])
    rows(["reason", "scans"], *([reason, n] for reason, n in stats.per_reason.most_common()))
    writer.writerow([])
    rows(["guard", "overrides"], *([name, n] for name, n in sorted(stats.overrides_per_guard.items())))
    writer.writerow([])
    rows(["override_reason", "overrides"], *([r, n] for r, n in sorted(stats.overrides_per_reason.items())))
    writer.writerow([])
    rows(
        [
            "time",
            "guard",
            "action",
            "reason",
            "persons",
            "scan_time",
            "scan_verdict",
            "scan_reason",
            "booking_ref",
            "code",
            "note",
            "event_uuid",
        ],
        *(
            [
                a.local_time,
                a.guard_name,
                a.kind,
                a.reason,
                a.persons,
                a.ref_local_time,
                a.ref_verdict,
                a.ref_reason,
                a.booking_ref,
                a.code_masked,
                a.note,
                a.event_uuid,
            ]
            for a in report.actions
        ),
    )
    return out.getvalue()


# --- the guard's status panel ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """What the status panel shows about the data: freshness, sync, uploads, audit chain, disk."""

    data_as_of: dt.datetime | None
    last_sync: dt.datetime | None
    last_sync_error: str
    data_age: dt.timedelta | None  # None: standalone (imported data, no sync)
    pending_uploads: int
    audit_head_seq: int
    audit_ok: bool | None  # None: not verified in this call
    audit_problem: str
    free_disk_bytes: int
    bookings: int
    #: Outbox rows the server refused for good, or that can never be sent: kept for the IT person.
    refused_uploads: int = 0
    #: The booking file was lost and the bookings not imported again (KioskStore.booking_data_lost()).
    bookings_lost: bool = False
    #: The booking file is older than the database last saw (KioskStore.booking_file_behind()): what it
    #: has and should have, e.g. "cursor 0a1b2c3d.5, expected at least cursor 0a1b2c3d.9"; "" when not.
    bookings_rolled_back: str = ""
    #: The newest server receipt kept (its entry, its server time), unverified: for display only.
    anchored: tuple[int, str] | None = None
    #: The server's newest finding about this kiosk's audit chain: (when the kiosk was told, what).
    server_alert: tuple[dt.datetime, str] | None = None


def store_status(
    store: KioskStore,
    now: dt.datetime,
    verify: bool = False,
    checked_receipts: Sequence[receipts.Receipt] = (),
    receipt_problems: Sequence[str] = (),
) -> StoreStatus:
    """The panel's figures; verifying the whole audit chain is slower, so the caller asks for it now and
    then, with the server's receipts whose signatures it checked (and what was wrong with the others)."""
    with store.reading() as connection:
        state = connection.execute(select(SyncStateRow).where(SyncStateRow.id == 1)).first()
    circumstances = store.circumstances(now)
    lost = store.booking_data_lost()
    behind = store.booking_file_behind()
    pending = store.outbox_size()
    report = store.verify_audit(checked_receipts) if verify else None
    if report is not None:
        for problem in receipt_problems:
            report.add(None, problem)
    kept, _ = store.stored_receipts()
    try:
        free = shutil.disk_usage(store.path.parent).free
    except OSError:
        free = -1
    return StoreStatus(
        data_as_of=from_text(state.data_as_of) if state and state.data_as_of else None,
        last_sync=from_text(state.last_success_at) if state and state.last_success_at else None,
        last_sync_error=(state.last_error or "") if state else "",
        data_age=None if lost else circumstances.data_age,  # imported by hand: no age, whatever the loss
        pending_uploads=pending,
        audit_head_seq=store.audit_head().seq,
        audit_ok=None if report is None else report.ok,
        audit_problem=(report.problems[0] if report and report.problems else ""),
        free_disk_bytes=free,
        bookings=store.booking_count(),
        refused_uploads=store.refused_uploads(),
        bookings_lost=lost,
        bookings_rolled_back="" if behind is None else str(behind),
        anchored=(kept[0].seq, kept[0].server_time) if kept else None,
        server_alert=store.server_alert(),
    )
