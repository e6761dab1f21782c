"""The offices list: per office the kiosks, how many need a look (SILENT, UNHEALTHY, an audit incident)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from kiosk.server import health, kiosks, offices
from kiosk.server.models import AuditIncidentRow, KioskHealthRow, KioskRow


@dataclass
class OfficeLine:
    code: str
    name: str
    kiosks: int
    attention: int


def office_lines(connection: Connection, rows: list[Any], now: dt.datetime) -> list[OfficeLine]:
    codes = [row.code for row in rows]
    if not codes:
        return []
    limits = health.Limits()
    all_kiosks = connection.execute(
        select(KioskRow.kiosk_id, KioskRow.office_code, KioskRow.state).where(
            KioskRow.office_code.in_(codes), KioskRow.state != kiosks.REVOKED
        )
    ).all()
    ids = [k.kiosk_id for k in all_kiosks]
    contacts = {
        r.kiosk_id: r for r in connection.execute(select(KioskHealthRow).where(KioskHealthRow.kiosk_id.in_(ids)))
    }
    incidents = dict(
        connection.execute(
            select(AuditIncidentRow.kiosk_id, func.count())
            .where(AuditIncidentRow.kiosk_id.in_(ids))
            .group_by(AuditIncidentRow.kiosk_id)
        ).all()
    )
    max_age = {row.code: offices.rules_of(row).max_data_age_minutes for row in rows}
    counts: dict[str, list[int]] = {code: [0, 0] for code in codes}
    for k in all_kiosks:
        judged = health.judge(contacts.get(k.kiosk_id), k.state, max_age[k.office_code], now, limits)
        counts[k.office_code][0] += 1
        if judged.marks or incidents.get(k.kiosk_id):
            counts[k.office_code][1] += 1
    return [
        OfficeLine(row.code, str(getattr(row, "name", "") or ""), counts[row.code][0], counts[row.code][1])
        for row in rows
    ]
