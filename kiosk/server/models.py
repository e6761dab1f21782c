"""The server's own tables (not the kiosk's): offices, bookings with their feed positions, removals,
kiosks, signing keys, events, audit-head reports, each kiosk's anchored audit chain and its last contact
and health. Created with create_all (see db.py); a table `server_meta` records the schema version so a
newer schema is refused rather than guessed at. A new version adds tables (create_all makes them in an
older database, and init_schema then records the new version) or columns with a default (init_schema adds
them to an older table, see db.py UPGRADES): SCHEMA_VERSION 2 added `kiosk_health`, 3 `offices.name`.

Times are UTC ISO-8601 text (sortable, the same on SQLite and PostgreSQL), dates ISO text.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kiosk.formats.naming import NAMING

SCHEMA_VERSION = 3


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class MetaRow(Base):
    """Schema version and the row every booking writer locks (serialises feed positions)."""

    __tablename__ = "server_meta"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class OfficeRow(Base):
    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The office's full name, as applicants read it ("Kantor Imigrasi Kelas I TPI Semarang"); "" when
    #: not set. Public: every kiosk gets every office's name (the directory). Schema version 3.
    name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    rules: Mapped[str] = mapped_column(Text)  # JSON: kiosk.domain.model.OfficeRules fields
    signed_codes: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Identifies this office's feed; a new epoch (a rebuilt feed) makes kiosks start over.
    feed_epoch: Mapped[str] = mapped_column(String(8))
    #: The last feed position handed out for this office.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[str] = mapped_column(String(40))


class BookingRow(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    booking_ref: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    office_code: Mapped[str] = mapped_column(String(32))
    service_date: Mapped[str] = mapped_column(String(10))
    slot_start: Mapped[str] = mapped_column(String(5))
    slot_end: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(16))
    party_size: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(24))
    display_name: Mapped[str] = mapped_column(String(120))
    nik_last4: Mapped[str] = mapped_column(String(4))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[str] = mapped_column(String(40))
    change_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_bookings_office_seq", "office_code", "change_seq"),
        Index("ix_bookings_service_date", "service_date"),
    )


class RemovalRow(Base):
    """A booking that left an office's feed (moved to another office, or purged): a "removed" tombstone."""

    __tablename__ = "removals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(32))
    booking_ref: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    change_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_removals_office_seq", "office_code", "change_seq"),)


class SigningKeyRow(Base):
    """An Ed25519 key. active: signs new pages and codes; retiring: still trusted and used for kiosks
    that know no newer key; retired: no longer listed, so kiosks drop it."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[str] = mapped_column(String(40))


class KioskRow(Base):
    __tablename__ = "kiosks"

    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(12))  # pending, active, revoked
    enrol_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    enrol_expires_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    enrolled_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_sync_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_cursor: Mapped[str | None] = mapped_column(String(40), nullable=True)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    audit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    audit_alert: Mapped[str | None] = mapped_column(Text, nullable=True)
    outbox_pending: Mapped[int | None] = mapped_column(Integer, nullable=True)


class KioskHealthRow(Base):
    """A kiosk's last contact with the server (enrolment, an upload, an online check) and the newest
    health it reported (kiosk.protocol.schema.KioskHealth as JSON; none from a kiosk older than that).
    A table of its own (schema version 2), so that an older database gains it by create_all."""

    __tablename__ = "kiosk_health"

    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_contact_at: Mapped[str] = mapped_column(String(40))
    #: What the last contact was: enrol, upload or check.
    last_contact: Mapped[str] = mapped_column(String(8))
    health: Mapped[str | None] = mapped_column(Text, nullable=True)
    health_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class AuditReportRow(Base):
    """Every audit head a kiosk reported: the history that shows a rolled-back kiosk database."""

    __tablename__ = "audit_reports"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_audit_reports_kiosk_seq", "kiosk_id", "seq"),)


class _EntryColumns:
    """The fields of one audit entry as the kiosk wrote it, and when the server received it."""

    at: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[str] = mapped_column(String(40))


class AuditEntryRow(_EntryColumns, Base):
    """The kiosk's audit chain as the server holds it (kiosk/server/anchor.py): consecutive from entry 1
    (or from what retention left), each linking to the one before. What a kiosk later sends again must
    match; what no longer does moves to audit_superseded under an incident."""

    __tablename__ = "audit_entries"

    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class AuditIncidentRow(Base):
    """A fork, rewrite, rollback or broken entry found in a kiosk's chain, with what the server held and
    what the kiosk showed. Kept when retention purges entries: it is the evidence."""

    __tablename__ = "audit_incidents"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # rollback, rewrite, fork, broken
    seq: Mapped[int] = mapped_column(BigInteger)
    detected_at: Mapped[str] = mapped_column(String(40))
    held_seq: Mapped[int] = mapped_column(BigInteger)
    held_hash: Mapped[str] = mapped_column(String(64))
    reported_seq: Mapped[int] = mapped_column(BigInteger)
    reported_hash: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class AuditSupersededRow(_EntryColumns, Base):
    """An entry the server held and the kiosk's chain no longer has: kept under its incident."""

    __tablename__ = "audit_superseded"

    incident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class EventRow(Base):
    """One scan event or guard action, exactly once per event_uuid.

    origin "online": recorded by the online check, before the kiosk's own record arrives; "upload": the
    kiosk's record (which replaces an online one with the same id: it is what the gate did)."""

    __tablename__ = "events"

    event_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(32))
    kiosk_id: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[str] = mapped_column(String(40))
    booking_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_masked: Mapped[str] = mapped_column(String(40))
    payload_kind: Mapped[str] = mapped_column(String(24))
    verdict: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(24))
    persons: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    guard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ref_event: Mapped[str | None] = mapped_column(String(36), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    facts: Mapped[str] = mapped_column(Text)
    extra: Mapped[str] = mapped_column(Text)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    audit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    origin: Mapped[str] = mapped_column(String(8))
    body_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_events_office_gate_time", "office_code", "gate", "occurred_at"),
        Index("ix_events_booking_ref_persons", "booking_ref", "persons"),
    )


# --- the office dashboard (kiosk/server/web, accounts.py, admin_audit.py) ------------------------------
# New tables only: create_all makes them in an existing database, and the schema version is not raised
# for them (an older server simply does not use them).


class WebUserRow(Base):
    """A person who logs in to the office dashboard. Password: scrypt (kiosk/server/accounts.py)."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: office_admin, office_viewer or national_auditor
    role: Mapped[str] = mapped_column(String(24))
    #: The one office of an office_admin or office_viewer; none for a national_auditor.
    office_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40))
    #: Failed logins since fail_window_start (lockout: accounts.MAX_FAILURES within accounts.FAIL_WINDOW).
    fail_count: Mapped[int] = mapped_column(Integer, default=0)
    fail_window_start: Mapped[str | None] = mapped_column(String(40), nullable=True)
    locked_until: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_login_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class WebSessionRow(Base):
    """A logged-in browser: the cookie's token is stored only as its SHA-256; csrf_token is the
    synchronizer token every form of this session carries."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    last_seen_at: Mapped[str] = mapped_column(String(40))


class AdminAuditRow(Base):
    """The server's own audit log: every administrative action, from the web pages and the command line,
    chained by hash (kiosk/server/admin_audit.py)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))  # a username, or "cli:<os user>"
    action: Mapped[str] = mapped_column(String(48))
    office_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_admin_audit_office_at", "office_code", "at"),)


class WebOfficeSettingRow(Base):
    """Dashboard settings per office that are not kiosk rules (the guards' override norm per day)."""

    __tablename__ = "web_office_settings"

    office_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class WebPendingImportRow(Base):
    """An uploaded booking export waiting for its preview to be confirmed (nothing is applied before)."""

    __tablename__ = "web_pending_imports"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    office_code: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    fmt: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))


# --- the dashboard's summaries and indexes (kiosk/server/summaries.py; docs/dashboard-scale.md) ---------------------


class EventHourlyRow(Base):
    """Events counted per office, UTC hour, gate, kiosk, kind, verdict, reason and guard: what the
    dashboard's Today, Overrides and daily report pages read instead of scanning a year of events.
    Kept in step with `events` in the same transaction as every insert or replacement
    (kiosk/server/summaries.py, called from kiosk/server/events.py); filled from `events` once when a
    database from before it is opened (summaries.ensure). Indonesia's zones are whole hours from UTC,
    so UTC hours add up to any office's local days. `guard_id` 0: no guard. No personal data."""

    __tablename__ = "event_hourly"

    office_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The UTC hour as text, "YYYY-MM-DDTHH" (a prefix of events.occurred_at, so it sorts the same).
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)
    gate: Mapped[str] = mapped_column(String(32), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(8), primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)
    guard_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    persons: Mapped[int] = mapped_column(BigInteger, default=0)


#: One kind of event of an office over a range of hours (overrides per guard per day over a year): an
#: index-only scan of a few thousand entries instead of every count of the office's year.
Index(
    "ix_event_hourly_office_kind_hour",
    EventHourlyRow.office_code,
    EventHourlyRow.kind,
    EventHourlyRow.hour,
    postgresql_include=["kiosk_id", "gate", "guard_id", "events", "persons"],
)

#: The guard actions among events (kiosk.store.guard_actions.ActionKind): the Overrides page's rows.
ACTION_KINDS = ("override", "dismiss", "ack", "note")

#: One office's events over a time range, across its gates (Today, open REFERs, the daily report).
Index("ix_events_office_time", EventRow.office_code, EventRow.occurred_at)
#: One office's guard actions over a time range (Overrides): a small partial index.
Index(
    "ix_events_office_actions",
    EventRow.office_code,
    EventRow.occurred_at,
    postgresql_where=EventRow.kind.in_(ACTION_KINDS),
    sqlite_where=EventRow.kind.in_(ACTION_KINDS),
)
#: The actions that refer to a scan (is a REFER still open?).
Index(
    "ix_events_ref_event",
    EventRow.ref_event,
    postgresql_where=EventRow.ref_event.is_not(None),
    sqlite_where=EventRow.ref_event.is_not(None),
)


class KioskEventCountRow(Base):
    """How many events the server holds of each kiosk (the Kiosks page's "events here"), kept with
    event_hourly (kiosk/server/summaries.py): counting a year of events per kiosk reads them all."""

    __tablename__ = "kiosk_event_counts"

    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
