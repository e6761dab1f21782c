"""Each kiosk's last contact and the newest health it reported, and what `kiosk server kiosks` makes of
them: "3 min ago", SILENT when the last contact is older than the silence limit, UNHEALTHY when the
health names a problem ("camera: not connected", "relay: fault", "disk: 0.4 GiB free", "data 2 h old").

A contact is anything the kiosk does with its device token that the server writes down anyway: its
enrolment, every upload (each sync makes at least one, even with nothing to upload) and every online
check. A page download alone is a read and is not noted. The health comes with the uploads
(`EventBatch.health`, kiosk.protocol.schema.KioskHealth); an upload without one (a kiosk older than the
field) notes the contact and keeps the health reported before.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from kiosk.formats.times import duration_text, from_text
from kiosk.protocol.schema import KioskHealth
from kiosk.server.db import insert_for, utc_text
from kiosk.server.models import KioskHealthRow

#: `kiosk server kiosks --silent-minutes`: a kiosk whose last contact is older is SILENT. A kiosk syncs
#: every minute, and retries within 5 minutes at most after failures.
DEFAULT_SILENT_MINUTES = 15
#: Below this much free disk a kiosk is UNHEALTHY (`--min-free-gib`).
DEFAULT_MIN_FREE_GIB = 1.0
#: A clock further off than this makes the kiosk REFER every date and time check (sync-protocol.md §5).
MAX_CLOCK_OFFSET_S = 120.0
GIB = 1024**3

ENROL, UPLOAD, CHECK = "enrol", "upload", "check"
SILENT, UNHEALTHY = "SILENT", "UNHEALTHY"


def note_contact(
    connection: Connection, kiosk_id: str, what: str, now: dt.datetime, health: KioskHealth | None = None
) -> None:
    """Note a contact (in the caller's transaction), with the kiosk's health when it sent one."""
    values: dict[str, Any] = {"last_contact_at": utc_text(now), "last_contact": what}
    if health is not None:
        values.update(health=health.model_dump_json(exclude_none=True), health_at=utc_text(now))
    statement = insert_for(connection, KioskHealthRow).values(kiosk_id=kiosk_id, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=["kiosk_id"], set_=values))


def contacts(connection: Connection) -> dict[str, Any]:
    """Every kiosk's row (last contact, health), by kiosk id."""
    return {row.kiosk_id: row for row in connection.execute(select(KioskHealthRow)).all()}


@dataclass(frozen=True, slots=True)
class Limits:
    """When a kiosk counts as silent or unhealthy."""

    silent_after: dt.timedelta = dt.timedelta(minutes=DEFAULT_SILENT_MINUTES)
    min_free_bytes: int = int(DEFAULT_MIN_FREE_GIB * GIB)


@dataclass(frozen=True, slots=True)
class Judged:
    """What the listing shows of one kiosk's contact and health."""

    last_contact: str  # "3 min ago", "never"
    health: str  # "ok", "-" (none reported), or the problems
    version: str
    uptime: str
    marks: tuple[str, ...]  # SILENT, UNHEALTHY

    @property
    def mark(self) -> str:
        return " ".join(self.marks)


def judge(row: Any | None, state: str, max_data_age_minutes: int, now: dt.datetime, limits: Limits) -> Judged:
    """One kiosk's contact row (None: never) judged at `now`. Only an active kiosk can be silent."""
    contact = None if row is None else from_text(row.last_contact_at)
    health = None if row is None else parse(row.health)
    problems = [] if health is None else problems_of(health, max_data_age_minutes, limits)
    marks: list[str] = []
    if state == "active" and (contact is None or now - contact > limits.silent_after):
        marks.append(SILENT)
    if problems:
        marks.append(UNHEALTHY)
    return Judged(
        last_contact="never" if contact is None else ago(now - contact),
        health="-" if health is None else ("; ".join(problems) or "ok"),
        version="-" if health is None else health.version,
        uptime="-"
        if health is None or health.uptime_s is None
        else duration_text(dt.timedelta(seconds=health.uptime_s)),
        marks=tuple(marks),
    )


def parse(text: str | None) -> KioskHealth | None:
    if not text:
        return None
    try:
        return KioskHealth.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return None


def problems_of(health: KioskHealth, max_data_age_minutes: int, limits: Limits) -> list[str]:
    """What is wrong with a kiosk by its health, most urgent first; empty when nothing is."""
    problems: list[str] = []
    if health.camera_ok is False or "camera" in health.faults:
        problems.append(f"camera: {(_short(health.camera) if health.camera_ok is False else '') or 'fault'}")
    if health.relay_state == "fault" or "gate" in health.faults:
        problems.append(f"relay: fault{': ' + _short(health.relay_fault) if health.relay_fault else ''}")
    if "database" in health.faults:
        problems.append("database: fault")
    named = {"camera", "gate", "database"}
    problems.extend(f"{fault}: fault" for fault in health.faults if fault not in named)
    if health.free_disk_bytes is not None and health.free_disk_bytes < limits.min_free_bytes:
        problems.append(f"disk: {health.free_disk_bytes / GIB:.1f} GiB free")
    if health.data_age_s is None:
        problems.append("data: no complete download yet")
    elif health.data_age_s < 0:
        problems.append("data: from the future (clock set back?)")
    elif health.data_age_s > max_data_age_minutes * 60:
        problems.append(f"data {duration_text(dt.timedelta(seconds=health.data_age_s))} old")
    if health.clock_offset_s is not None and abs(health.clock_offset_s) > MAX_CLOCK_OFFSET_S:
        problems.append(f"clock {health.clock_offset_s:+.0f} s off")
    return problems


def ago(value: dt.timedelta) -> str:
    if value < dt.timedelta(seconds=1):  # (a kiosk's contact noted by a server clock ahead of this one)
        return "just now"
    return f"{duration_text(value)} ago"


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
