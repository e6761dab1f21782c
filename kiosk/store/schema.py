"""The kiosk's tables. Migrations in store/migrations create exactly these (a test compares them).

Two files: the booking feed's tables (schema `feed`: bookings, sync_state) live in a file of their own
beside the database, with their own migrations in store/feed_migrations (see store/engine.py).

Times are stored as UTC ISO-8601 text, dates as ISO text, slot times as "HH:MM" in the office's zone.
Booking codes are never stored: only their keyed hash (see codes.py) and a masked form for the guard.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kiosk.formats.naming import NAMING
from kiosk.store.engine import FEED_SCHEMA


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_service_date", "service_date"), {"schema": FEED_SCHEMA})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    booking_ref: Mapped[str] = mapped_column(String(64), unique=True)
    office_code: Mapped[str] = mapped_column(String(32))
    service_date: Mapped[str] = mapped_column(String(10))
    slot_start: Mapped[str] = mapped_column(String(5))
    slot_end: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(16))
    party_size: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(24))
    display_name: Mapped[str] = mapped_column(String(120))
    nik_last4: Mapped[str] = mapped_column(String(4))
    code_masked: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[str] = mapped_column(String(40))
    #: HMAC over the row's fields with the code key: a row edited by hand no longer matches.
    row_mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class ScanEventRow(Base):
    """Every decision and every guard action: the durable record the gate acts on."""

    __tablename__ = "scan_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    occurred_at: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # scan, manual, override, dismiss, ack, note
    kiosk_id: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(32))
    booking_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    code_masked: Mapped[str] = mapped_column(String(40))
    payload_kind: Mapped[str] = mapped_column(String(24))
    verdict: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(24))
    persons: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    guard_id: Mapped[int | None] = mapped_column(ForeignKey("guards.id"), nullable=True)
    ref_event: Mapped[str | None] = mapped_column(String(36), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    facts: Mapped[str] = mapped_column(Text)  # JSON, no PII
    audit_seq: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_scan_events_booking_ref_persons", "booking_ref", "persons"),
        Index("ix_scan_events_occurred_at", "occurred_at"),
        Index("ix_scan_events_ref_event", "ref_event"),
    )


class OutboxRow(Base):
    """Events waiting to go to the central server; deleted only when the server has them.

    A row the server refused for good, or whose body can never be sent, is marked (`refused_at`,
    `refused_reason`; migration 0004) and kept for the office's IT person: never sent again, not
    counted as pending (kiosk/sync/apply.py)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When the row was marked refused (None: pending, the uploader sends it).
    refused_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Why: the server's answer, or what makes the stored body unsendable.
    refused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditRow(Base):
    """Hash-chained log: each entry's hash covers its fields and the previous entry's hash."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditReceiptRow(Base):
    """The server's signed word that it holds the chain up to `seq` with `hash` (kiosk/store/receipts.py)."""

    __tablename__ = "audit_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    server_time: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[str] = mapped_column(String(40))


class GuardRow(Base):
    __tablename__ = "guards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Lockouts since the last successful login (migration 0005): each lasts twice the one before.
    lockouts: Mapped[int] = mapped_column(Integer, default=0)


class SettingRow(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SyncStateRow(Base):
    """One row: where the booking feed stands and how fresh the local data is."""

    __tablename__ = "sync_state"
    __table_args__ = ({"schema": FEED_SCHEMA},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data_as_of: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_attempt_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_success_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Float, as migration 0001 made it (SQLAlchemy 2.1 maps a bare `float` to Double).
    server_offset_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: JSON: the audit entry of the last page applied, for the chain in the other file (written from
    #: here if it is not there yet: kiosk.sync.apply.settle_page_audit()).
    pending_audit: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Bumped by every `kiosk import` (feed migration f002), and kept in the database file too: a
    #: booking file older than that is noticed (store/feed_anchor.py).
    import_generation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: "<rows>:<hex>": the row count and the sum of sha256(row_mac) over the rows, kept in step with
    #: every change of the rows (feed migration f003), and in the database file too: rows the kiosk
    #: did not write are noticed (store/feed_anchor.py).
    content_digest: Mapped[str | None] = mapped_column(Text, nullable=True)
