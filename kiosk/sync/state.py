"""What the kiosk keeps about its sync, in its own database: the enrolment, the device token, the
pinned server keys (settings table) and the feed position, data age and clock offset (sync_state)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from kiosk.formats.times import duration_text
from kiosk.protocol.keys import Keyring
from kiosk.store import settings
from kiosk.store.db import KioskStore
from kiosk.store.parts.settings import SYNC_ENROLLED
from kiosk.store.schema import OutboxRow, SettingRow, SyncStateRow
from kiosk.store.times import from_text

TOKEN_KEY = "sync.device_token"
KEYS_KEY = "sync.server_keys"


@dataclass(frozen=True, slots=True)
class Enrolment:
    server_url: str
    kiosk_id: str
    office_code: str
    enrolled_at: str
    revoked_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "server_url": self.server_url,
            "kiosk_id": self.kiosk_id,
            "office_code": self.office_code,
            "enrolled_at": self.enrolled_at,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the guard console shows about sync."""

    enrolled: bool
    revoked: bool = False
    server_url: str = ""
    kiosk_id: str = ""
    office_code: str = ""
    cursor: str | None = None
    data_as_of: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    server_offset_s: float | None = None
    last_error: str | None = None
    outbox_pending: int = 0
    syncing: bool = False
    #: Outbox rows refused for good (by the server, or never sendable): kept, never sent again.
    outbox_refused: int = 0

    def data_age(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.data_as_of is None else now - self.data_as_of

    def summary(self, now: dt.datetime) -> str:
        """One line for the guard console (English; the UI may translate the parts)."""
        if not self.enrolled:
            return "Not enrolled: deciding from imported data only"
        if self.revoked:
            return "Kiosk revoked by the server: personal data wiped"
        age = self.data_age(now)
        age_text = "no complete data yet" if age is None else f"data {duration_text(age)} old"
        parts = [age_text, f"{self.outbox_pending} event(s) to upload"]
        if self.outbox_refused:
            parts.append(f"{self.outbox_refused} refused upload(s) kept for IT (kiosk sync status)")
        if self.server_offset_s is not None and abs(self.server_offset_s) >= 1:
            parts.append(f"clock {self.server_offset_s:+.0f} s from server")
        if self.syncing:
            parts.append("syncing...")
        elif self.last_error:
            parts.append(f"last sync failed: {self.last_error}")
        return "; ".join(parts)


def enrolment(connection: Connection) -> Enrolment | None:
    data = settings.get(connection, SYNC_ENROLLED)
    if not isinstance(data, dict) or "kiosk_id" not in data:
        return None
    return Enrolment(
        server_url=str(data.get("server_url", "")),
        kiosk_id=str(data["kiosk_id"]),
        office_code=str(data.get("office_code", "")),
        enrolled_at=str(data.get("enrolled_at", "")),
        revoked_at=data.get("revoked_at"),
    )


def keyring(connection: Connection) -> Keyring:
    data = settings.get(connection, KEYS_KEY) or []
    try:
        return Keyring.from_texts((str(k["key_id"]), str(k["public_key"])) for k in data)
    except (ValueError, KeyError, TypeError):
        return Keyring()


def put_keyring(connection: Connection, ring: Keyring) -> None:
    settings.put(connection, KEYS_KEY, [{"key_id": k, "public_key": v} for k, v in ring.texts()])


def token(connection: Connection) -> str | None:
    value = settings.get(connection, TOKEN_KEY)
    return value if isinstance(value, str) and value else None


def forget_token(connection: Connection) -> None:
    connection.execute(delete(SettingRow).where(SettingRow.key == TOKEN_KEY))


def put_state(connection: Connection, **values: Any) -> None:
    """Update the one sync_state row inside the caller's transaction (as store.settings.set_sync_state() does)."""
    if connection.execute(select(SyncStateRow.id).where(SyncStateRow.id == 1)).first():
        connection.execute(update(SyncStateRow).where(SyncStateRow.id == 1).values(**values))
    else:
        connection.execute(insert(SyncStateRow).values(id=1, **values))


def pending_audit(connection: Connection) -> dict[str, Any] | None:
    """The audit entry of the last page applied, which the chain may still lack (see
    apply.settle_page_audit())."""
    text = connection.execute(select(SyncStateRow.pending_audit).where(SyncStateRow.id == 1)).scalar()
    if not text:
        return None
    try:
        owed = json.loads(text)
    except ValueError:
        owed = None
    if not isinstance(owed, dict) or not {"at", "subject", "digest"} <= owed.keys():
        raise ValueError(f"the sync state holds an unreadable owed audit entry: {text[:200]!r}")
    return owed


def data_complete(connection: Connection) -> bool:
    """True once a sync has reached the end of the feed (the data has an age)."""
    return connection.execute(select(SyncStateRow.data_as_of).where(SyncStateRow.id == 1)).scalar() is not None


def cursor(connection: Connection) -> str | None:
    return connection.execute(select(SyncStateRow.cursor).where(SyncStateRow.id == 1)).scalar()


def status(store: KioskStore) -> SyncStatus:
    with store.reading() as connection:
        enrolled = enrolment(connection)
        row = connection.execute(select(SyncStateRow).where(SyncStateRow.id == 1)).first()
        outbox = select(func.count()).select_from(OutboxRow)
        pending = int(connection.execute(outbox.where(OutboxRow.refused_at.is_(None))).scalar_one())
        refused = int(connection.execute(outbox.where(OutboxRow.refused_at.is_not(None))).scalar_one())
    if enrolled is None:
        return SyncStatus(enrolled=False, outbox_pending=pending, outbox_refused=refused)

    def when(value: str | None) -> dt.datetime | None:
        return from_text(value) if value else None

    return SyncStatus(
        enrolled=True,
        revoked=enrolled.revoked_at is not None,
        server_url=enrolled.server_url,
        kiosk_id=enrolled.kiosk_id,
        office_code=enrolled.office_code,
        cursor=row.cursor if row else None,
        data_as_of=when(row.data_as_of) if row else None,
        last_attempt_at=when(row.last_attempt_at) if row else None,
        last_success_at=when(row.last_success_at) if row else None,
        server_offset_s=row.server_offset_s if row else None,
        last_error=row.last_error if row else None,
        outbox_pending=pending,
        outbox_refused=refused,
    )
