"""Guard actions: admit with a reason (override), dismiss, acknowledge, note, and the guard's login.

Every guard action (admit with a reason, dismiss, acknowledge, note) goes down the same path as a scan:
one BEGIN IMMEDIATE transaction that writes a scan_events row (kind override/dismiss/ack/note, the
guard's id, the scan it refers to, a cleaned note), its outbox row and its audit entry through
recorder.write_event. Whether a scan is still open is checked inside that transaction, so when two
guards act on one scan only the first resolving action succeeds; the second gets AlreadyResolvedError
naming who was first. Notes may be added to a scan at any time, resolved or not.

An override is an admission: it carries the number of people let in, so a later scan of the same code
sees them as entries (ALREADY_ADMITTED), exactly as if the gate had admitted them.

What the guard sees of the scans is kiosk/store/queue.py; what leaves the kiosk about the day,
kiosk/store/reports/.
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.model import MAX_PARTY_SIZE, Verdict
from kiosk.store import bookings as booking_repo
from kiosk.store import guards as guard_repo
from kiosk.store import settings
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.recorder import new_event_row, write_event
from kiosk.store.schema import GuardRow, ScanEventRow
from kiosk.store.times import from_text

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
            row = new_event_row(
                identity,
                event_uuid=str(uuid.uuid4()),
                now=now,
                kind=kind.value,
                booking_ref=ref["booking_ref"],
                code_hash=ref["code_hash"],
                code_masked=ref["code_masked"],
                payload_kind=ref["payload_kind"],
                verdict=Verdict.ADMIT.value if kind is ActionKind.OVERRIDE else ref["verdict"],
                reason=reason or _ACTION_REASON[kind],
                persons=admitted,
                service_date=ref["service_date"],
                facts=facts,
                guard_id=guard_id,
                ref_event=ref_event,
                note=note or None,
            )
            head = write_event(connection, row, identity)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not record the guard action: {getattr(exc, 'orig', exc)}") from exc
    store.audit.write_anchor()  # the same after-commit step as store.decisions.record(): the audit head file
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
        return LoginResult(LoginOutcome.OK, store.guards.authenticate(name, pin, now, purpose))
    except guard_repo.GuardError:
        pass
    guard = next((g for g in store.guards.all() if g.name == name), None)
    if guard is None:
        return LoginResult(LoginOutcome.UNKNOWN)
    if not guard.active:
        return LoginResult(LoginOutcome.DISABLED, guard)
    if guard.locked_until and from_text(guard.locked_until) > now:
        return LoginResult(LoginOutcome.LOCKED, guard, locked_until=from_text(guard.locked_until))
    return LoginResult(LoginOutcome.WRONG_PIN, guard, tries_left=guard_repo.MAX_FAILED_ATTEMPTS - guard.failed_attempts)
