"""The server's own audit log: every administrative action (web pages and `kiosk server user ...`).

One row per action: when, who, what, for which office, on what, and a detail; each row carries the
SHA-256 of its fields and of the row before it, so an edited or deleted row shows (`verify`). Written in
the same transaction as the change it records. On PostgreSQL the writers of the log queue on an
advisory lock, so two of them never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from kiosk.server.db import is_postgres, utc_text
from kiosk.server.models import AdminAuditRow

GENESIS = "0" * 64
_LOCK_KEY = 0x6B696F736B5F6161  # "kiosk_aa"
MAX_DETAIL_CHARS = 2000


def _hash(at: str, actor: str, action: str, office: str, target: str, detail: str, prev: str) -> str:
    material = json.dumps([at, actor, action, office, target, detail, prev], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def cli_actor() -> str:
    """Who acts from the server's command line: `cli:<the OS user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def record(
    connection: Connection,
    now: dt.datetime,
    actor: str,
    action: str,
    office_code: str | None,
    target: str = "",
    detail: str = "",
) -> None:
    """Append one entry in the caller's (write) transaction."""
    if is_postgres(connection):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    prev = connection.execute(select(AdminAuditRow.hash).order_by(AdminAuditRow.id.desc()).limit(1)).scalar()
    at = utc_text(now)
    actor, action, target, detail = actor[:64], action[:48], target[:128], detail[:MAX_DETAIL_CHARS]
    prev_hash = prev or GENESIS
    digest = _hash(at, actor, action, office_code or "", target, detail, prev_hash)
    connection.execute(
        insert(AdminAuditRow).values(
            at=at,
            actor=actor,
            action=action,
            office_code=office_code,
            target=target,
            detail=detail,
            prev_hash=prev_hash,
            hash=digest,
        )
    )


def entries(
    connection: Connection, office_code: str | None = None, *, limit: int = 200, before_id: int | None = None
) -> list[Any]:
    """The newest entries first: one office's, or with None all (server-wide ones too: failed logins,
    national auditors' accounts), which only a national auditor sees."""
    statement = select(AdminAuditRow).order_by(AdminAuditRow.id.desc()).limit(limit)
    if office_code is not None:
        statement = statement.where(AdminAuditRow.office_code == office_code)
    if before_id is not None:
        statement = statement.where(AdminAuditRow.id < before_id)
    return list(connection.execute(statement).all())


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(AdminAuditRow)).scalar() or 0)


@dataclass(frozen=True, slots=True)
class Verified:
    entries: int
    broken_at: int | None  # the id of the first entry that does not match, or None


def verify(connection: Connection) -> Verified:
    rows: Sequence[Any] = connection.execute(select(AdminAuditRow).order_by(AdminAuditRow.id)).all()
    prev = GENESIS
    for row in rows:
        expected = _hash(row.at, row.actor, row.action, row.office_code or "", row.target, row.detail, prev)
        if row.prev_hash != prev or row.hash != expected:
            return Verified(len(rows), row.id)
        prev = row.hash
    return Verified(len(rows), None)
