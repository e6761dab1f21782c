"""The Kiosks page: each kiosk of an office with its contact, health, and audit anchoring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from kiosk.formats.times import duration_text
from kiosk.server import health, offices, summary_reads
from kiosk.server.models import AuditIncidentRow, AuditSupersededRow, KioskHealthRow, KioskRow


@dataclass
class Incident:
    id: int
    kind: str
    seq: int
    detected_at: str
    detail: str
    held: str
    reported: str
    evidence: str


@dataclass
class KioskLine:
    kiosk_id: str
    gate: str
    label: str
    state: str
    last_contact: str
    last_contact_at: str | None
    marks: tuple[str, ...]
    health: str
    version: str
    uptime: str
    data_age: str
    clock_offset: str
    reported_head: str
    anchored_up_to: int
    unanchored: int
    anchored_at: str | None
    incidents: list[Incident] = field(default_factory=list)

    @property
    def attention(self) -> bool:
        return bool(self.marks) or bool(self.incidents)


def kiosk_lines(
    connection: Connection, office_row: Any, now: dt.datetime, limits: health.Limits | None = None
) -> list[KioskLine]:
    limits = limits or health.Limits()
    max_age = offices.rules_of(office_row).max_data_age_minutes
    rows = connection.execute(
        select(KioskRow).where(KioskRow.office_code == office_row.code).order_by(KioskRow.gate, KioskRow.kiosk_id)
    ).all()
    ids = [row.kiosk_id for row in rows]
    if not ids:
        return []
    contacts = {
        r.kiosk_id: r for r in connection.execute(select(KioskHealthRow).where(KioskHealthRow.kiosk_id.in_(ids)))
    }
    # one index probe and one primary-key read per kiosk (not a GROUP BY over the kiosks' year of entries)
    anchored = summary_reads.anchored_at(connection, ids)
    found: dict[str, list[Incident]] = {}
    incident_rows = connection.execute(
        select(AuditIncidentRow).where(AuditIncidentRow.kiosk_id.in_(ids)).order_by(AuditIncidentRow.id.desc())
    ).all()
    kept = _evidence(connection, [r.id for r in incident_rows])
    for r in incident_rows:
        found.setdefault(r.kiosk_id, []).append(
            Incident(
                r.id,
                r.kind,
                r.seq,
                r.detected_at,
                r.detail,
                f"{r.held_seq}:{r.held_hash[:16]}",
                f"{r.reported_seq}:{r.reported_hash[:16]}",
                kept.get(r.id, ""),
            )
        )
    lines = []
    for row in rows:
        contact = contacts.get(row.kiosk_id)
        judged = health.judge(contact, row.state, max_age, now, limits)
        parsed = health.parse(contact.health) if contact is not None else None
        seq, received = anchored.get(row.kiosk_id, (0, None))
        reported = row.audit_seq
        lines.append(
            KioskLine(
                kiosk_id=row.kiosk_id,
                gate=row.gate,
                label=row.label,
                state=row.state,
                last_contact=judged.last_contact,
                last_contact_at=contact.last_contact_at if contact is not None else None,
                marks=judged.marks,
                health=judged.health,
                version=judged.version,
                uptime=judged.uptime,
                data_age=_data_age(parsed),
                clock_offset="-"
                if parsed is None or parsed.clock_offset_s is None
                else f"{parsed.clock_offset_s:+.0f} s",
                reported_head="-" if reported is None else f"{reported}:{(row.audit_hash or '')[:16]}",
                anchored_up_to=seq,
                unanchored=max(0, (reported or 0) - seq),
                anchored_at=received,
                incidents=found.get(row.kiosk_id, []),
            )
        )
    return lines


def _data_age(parsed: Any) -> str:
    if parsed is None:
        return "-"
    if parsed.data_age_s is None:
        return "belum ada / none yet"
    return duration_text(dt.timedelta(seconds=parsed.data_age_s))


def _evidence(connection: Connection, incident_ids: list[int]) -> dict[int, str]:
    """Per incident: how many entries the server kept as evidence, and which."""
    if not incident_ids:
        return {}
    rows = connection.execute(
        select(
            AuditSupersededRow.incident_id,
            func.count().label("n"),
            func.min(AuditSupersededRow.seq).label("first"),
            func.max(AuditSupersededRow.seq).label("last"),
        )
        .where(AuditSupersededRow.incident_id.in_(incident_ids))
        .group_by(AuditSupersededRow.incident_id)
    ).all()
    return {r.incident_id: f"{r.n} entri / entries {r.first}..{r.last}" for r in rows}
