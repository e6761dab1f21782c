"""The Bookings page: search by booking reference within an office, personal data masked; pending
uploads waiting for their preview to be confirmed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from kiosk.domain.payload import mask_code
from kiosk.server.db import utc_text
from kiosk.server.models import BookingRow, WebPendingImportRow

MAX_RESULTS = 50
PENDING_LIFETIME = dt.timedelta(hours=24)


@dataclass
class Found:
    booking_ref: str
    code_masked: str
    service_date: str
    slot: str
    status: str
    party_size: int
    category: str
    name_masked: str
    nik_masked: str


def mask_name(name: str) -> str:
    """Each word's first letter, the rest starred: "Budi Santoso" -> "B*** S******"."""
    return " ".join(word[0] + "*" * max(2, len(word) - 1) for word in name.split() if word)


def search(connection: Connection, office_code: str, ref: str) -> list[Found]:
    ref = ref.strip()
    if not ref:
        return []
    escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = connection.execute(
        select(BookingRow)
        .where(BookingRow.office_code == office_code, BookingRow.booking_ref.like(escaped + "%", escape="\\"))
        .order_by(BookingRow.booking_ref)
        .limit(MAX_RESULTS)
    ).all()
    return [
        Found(
            r.booking_ref,
            mask_code(r.code),
            r.service_date,
            f"{r.slot_start}-{r.slot_end}",
            r.status,
            r.party_size,
            r.category,
            mask_name(r.display_name),
            "**" + r.nik_last4[-2:] if r.nik_last4 else "-",
        )
        for r in rows
    ]


def booking_by_ref(connection: Connection, office_code: str, ref: str) -> Any | None:
    return connection.execute(
        select(BookingRow).where(BookingRow.office_code == office_code, BookingRow.booking_ref == ref)
    ).first()


def keep_pending(
    connection: Connection,
    upload_id: str,
    user_id: int,
    office_code: str,
    filename: str,
    fmt: str,
    body: str,
    now: dt.datetime,
) -> None:
    connection.execute(
        delete(WebPendingImportRow).where(WebPendingImportRow.created_at < utc_text(now - PENDING_LIFETIME))
    )
    connection.execute(
        insert(WebPendingImportRow).values(
            id=upload_id,
            user_id=user_id,
            office_code=office_code,
            filename=filename[:200],
            fmt=fmt,
            body=body,
            created_at=utc_text(now),
        )
    )


def pending(connection: Connection, upload_id: str, user_id: int, office_code: str) -> Any | None:
    return connection.execute(
        select(WebPendingImportRow).where(
            WebPendingImportRow.id == upload_id,
            WebPendingImportRow.user_id == user_id,
            WebPendingImportRow.office_code == office_code,
        )
    ).first()


def drop_pending(connection: Connection, upload_id: str) -> None:
    connection.execute(delete(WebPendingImportRow).where(WebPendingImportRow.id == upload_id))
