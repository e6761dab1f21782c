"""Kiosks: enrolment with a one-time token, device tokens, revocation, and what the admin lists.

Tokens are random (256 bits) and stored only as SHA-256 hashes. An enrolment token is good once and
for 24 hours; the device token it is exchanged for is scoped to the kiosk's one office.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection, insert, select, update

from kiosk.domain.model import OfficeRules
from kiosk.protocol.schema import Gate, GuardText, KioskId
from kiosk.server import anchor, health, offices, summaries
from kiosk.server.db import utc_text
from kiosk.server.models import KioskRow, OfficeRow
from kiosk.server.offices import office

ENROL_TOKEN_LIFETIME = dt.timedelta(hours=24)
PENDING, ACTIVE, REVOKED = "pending", "active", "revoked"
#: For a kiosk whose office is gone (its rules then unknown): the rules' default.
_DEFAULT_MAX_AGE: int = OfficeRules.__dataclass_fields__["max_data_age_minutes"].default  # type: ignore[assignment]


class KioskError(Exception):
    """A kiosk operation that cannot be done (the message says why)."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    kiosk_id: str
    token: str
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def enrolment_token() -> str:
    """256 random bits, base64url, never starting with "-": the office's IT person types it after
    `--token`, and a leading dash would be read as an option (one token in 64 did)."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def create(
    connection: Connection, office_code: str, gate: str, now: dt.datetime, label: str = "", kiosk_id: str | None = None
) -> Enrolment:
    """Register a kiosk for an office and hand out its one-time enrolment token."""
    office_row = office(connection, office_code)
    kiosk_id = kiosk_id or f"K-{secrets.token_hex(4).upper()}"
    _check("kiosk id", _KIOSK_ID, kiosk_id)
    _check("gate", _GATE, gate)
    _check("label", _LABEL, label)
    if connection.execute(select(KioskRow.kiosk_id).where(KioskRow.kiosk_id == kiosk_id)).first():
        raise KioskError(f"kiosk {kiosk_id} exists already")
    token = enrolment_token()
    expires = now + ENROL_TOKEN_LIFETIME
    connection.execute(
        insert(KioskRow).values(
            kiosk_id=kiosk_id,
            office_code=office_row.code,
            gate=gate,
            label=label,
            state=PENDING,
            enrol_token_hash=token_hash(token),
            enrol_expires_at=utc_text(expires),
            created_at=utc_text(now),
        )
    )
    return Enrolment(kiosk_id, token, expires)


_KIOSK_ID: TypeAdapter[str] = TypeAdapter(KioskId)
_GATE: TypeAdapter[str] = TypeAdapter(Gate)
_LABEL: TypeAdapter[str] = TypeAdapter(GuardText)


def _check(name: str, adapter: TypeAdapter[str], value: str) -> None:
    """The same shapes the wire gives these fields (and no longer than their columns)."""
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0].get("msg", "not allowed")
        raise KioskError(f"{name} {value[:40]!r}{'...' if len(value) > 40 else ''}: {problem}") from None


def redeem(connection: Connection, token: str, gate: str, label: str, now: dt.datetime) -> tuple[Any, str]:
    """Exchange a one-time token for a device token. The token is spent whatever happens next."""
    row = connection.execute(select(KioskRow).where(KioskRow.enrol_token_hash == token_hash(token))).first()
    if row is None or row.state != PENDING:
        raise KioskError("unknown or already used enrolment token")
    if row.enrol_expires_at is None or row.enrol_expires_at < utc_text(now):
        raise KioskError("the enrolment token has expired; ask for a new one")
    device_token = secrets.token_urlsafe(32)
    connection.execute(
        update(KioskRow)
        .where(KioskRow.kiosk_id == row.kiosk_id, KioskRow.state == PENDING)
        .values(
            state=ACTIVE,
            enrol_token_hash=None,
            enrol_expires_at=None,
            token_hash=token_hash(device_token),
            gate=gate or row.gate,
            label=label or row.label,
            enrolled_at=utc_text(now),
        )
    )
    return kiosk(connection, row.kiosk_id), device_token


def authenticate(connection: Connection, device_token: str) -> Any | None:
    """The kiosk a device token belongs to (any state), or None."""
    if not device_token:
        return None
    digest = token_hash(device_token)
    row = connection.execute(select(KioskRow).where(KioskRow.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash or "", digest):
        return None
    return row


def revoke(connection: Connection, kiosk_id: str, now: dt.datetime) -> None:
    row = kiosk(connection, kiosk_id)
    if row.state == REVOKED:
        raise KioskError(f"kiosk {kiosk_id} is already revoked")
    connection.execute(
        update(KioskRow)
        .where(KioskRow.kiosk_id == kiosk_id)
        .values(state=REVOKED, revoked_at=utc_text(now), enrol_token_hash=None)
    )


def kiosk(connection: Connection, kiosk_id: str) -> Any:
    row = connection.execute(select(KioskRow).where(KioskRow.kiosk_id == kiosk_id)).first()
    if row is None:
        raise KioskError(f"no kiosk {kiosk_id!r}")
    return row


def listing(
    connection: Connection,
    office_code: str | None = None,
    *,
    now: dt.datetime | None = None,
    limits: health.Limits | None = None,
) -> list[dict[str, Any]]:
    """Every kiosk with its last contact (judged at `now`: SILENT, UNHEALTHY), its health, last sync,
    audit head, reported pending events and events held here."""
    now = now or dt.datetime.now(dt.UTC)
    limits = limits or health.Limits()
    query = select(KioskRow).order_by(KioskRow.office_code, KioskRow.gate, KioskRow.kiosk_id)
    if office_code:
        query = query.where(KioskRow.office_code == office_code.upper())
    counts = summaries.events_per_kiosk(connection)  # kept with the events: counting them reads them all
    chains = anchor.summary(connection)
    contacts = health.contacts(connection)
    max_age = {row.code: offices.rules_of(row).max_data_age_minutes for row in connection.execute(select(OfficeRow))}
    listed = []
    for row in connection.execute(query).all():
        judged = health.judge(
            contacts.get(row.kiosk_id), row.state, max_age.get(row.office_code, _DEFAULT_MAX_AGE), now, limits
        )
        listed.append(
            {
                "kiosk_id": row.kiosk_id,
                "office": row.office_code,
                "gate": row.gate,
                "label": row.label,
                "state": row.state,
                "last_contact": judged.last_contact,
                "mark": judged.mark,
                "health": judged.health,
                "version": judged.version,
                "uptime": judged.uptime,
                "last_sync": row.last_sync_at or "never",
                "audit_head": "-" if row.audit_seq is None else f"{row.audit_seq}:{(row.audit_hash or '')[:12]}",
                "pending_events": "-" if row.outbox_pending is None else str(row.outbox_pending),
                "events_here": str(counts.get(row.kiosk_id, 0)),
                "anchored": _anchored_text(chains.get(row.kiosk_id, (0, 0, ""))[0], row.audit_seq),
                "incidents": _incidents_text(chains.get(row.kiosk_id, (0, 0, ""))),
                "alert": row.audit_alert or "",
            }
        )
    return listed


def _incidents_text(chain: tuple[int, int, str]) -> str:
    _, count, last = chain
    return "0" if not count else f"{count}, last: {last}"


def _anchored_text(anchored: int, reported: int | None) -> str:
    """How far the server holds the kiosk's chain; "of N" when the kiosk reports more than it sent
    (a lag that lasts means entries withheld, or one the server found broken)."""
    return f"{anchored} of {reported}" if reported is not None and reported > anchored else str(anchored)
