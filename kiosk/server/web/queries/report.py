"""The daily report of an office: the day across every gate (queries/day.py) and, for signing, each
gate's audit head at the end of that day as the server holds it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from kiosk.server.models import AuditEntryRow, KioskRow
from kiosk.server.web.queries import common
from kiosk.server.web.queries.day import Day, office_day


@dataclass
class GateHead:
    gate: str
    kiosk_id: str
    state: str
    seq: int | None
    hash: str
    at: str
    anchored: bool  # the server holds the entry (else: only reported by the kiosk)

    @property
    def grouped(self) -> str:
        return " ".join(self.hash[i : i + 4] for i in range(0, len(self.hash), 4))


@dataclass
class Report:
    office_code: str
    office_name: str
    zone_key: str
    day: Day
    generated_at: dt.datetime
    heads: list[GateHead] = field(default_factory=list)


def gate_heads(connection: Connection, office_code: str, day_end: str) -> list[GateHead]:
    kiosks = connection.execute(
        select(KioskRow).where(KioskRow.office_code == office_code).order_by(KioskRow.gate, KioskRow.kiosk_id)
    ).all()
    heads = []
    for row in kiosks:
        entry = connection.execute(
            select(AuditEntryRow.seq, AuditEntryRow.hash, AuditEntryRow.at)
            .where(AuditEntryRow.kiosk_id == row.kiosk_id, AuditEntryRow.at < day_end)
            .order_by(AuditEntryRow.seq.desc())
            .limit(1)
        ).first()
        if entry is not None:
            heads.append(GateHead(row.gate, row.kiosk_id, row.state, entry.seq, entry.hash, entry.at, True))
        elif row.audit_seq is not None:
            heads.append(GateHead(row.gate, row.kiosk_id, row.state, row.audit_seq, row.audit_hash or "", "", False))
        else:
            heads.append(GateHead(row.gate, row.kiosk_id, row.state, None, "", "", False))
    return heads


def daily_report(connection: Connection, office_row: Any, day: dt.date, now: dt.datetime) -> Report:
    zone = common.zone_of(office_row)
    summary = office_day(connection, office_row.code, day, zone)
    _, end = common.day_bounds(day, zone)
    report = Report(office_row.code, common.office_name(office_row), zone.key, summary, now.astimezone(zone))
    report.heads = gate_heads(connection, office_row.code, end)
    return report
