"""The first schema: bookings, scan events, outbox, audit chain, guards, settings, sync state.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("booking_ref", sa.String(64), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=False),
        sa.Column("slot_start", sa.String(5), nullable=False),
        sa.Column("slot_end", sa.String(5), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("nik_last4", sa.String(4), nullable=False),
        sa.Column("code_masked", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("row_mac", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint("code_hash", name="uq_bookings_code_hash"),
        sa.UniqueConstraint("booking_ref", name="uq_bookings_booking_ref"),
    )
    op.create_index("ix_bookings_service_date", "bookings", ["service_date"])
    op.create_table(
        "guards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("pin_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guards"),
        sa.UniqueConstraint("name", name="uq_guards_name"),
    )
    op.create_table(
        "scan_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_uuid", sa.String(36), nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("gate", sa.String(32), nullable=False),
        sa.Column("booking_ref", sa.String(64), nullable=True),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("code_masked", sa.String(40), nullable=False),
        sa.Column("payload_kind", sa.String(24), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=True),
        sa.Column("guard_id", sa.Integer(), nullable=True),
        sa.Column("ref_event", sa.String(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["guard_id"], ["guards.id"], name="fk_scan_events_guard_id_guards"),
        sa.PrimaryKeyConstraint("id", name="pk_scan_events"),
        sa.UniqueConstraint("event_uuid", name="uq_scan_events_event_uuid"),
    )
    op.create_index("ix_scan_events_booking_ref_persons", "scan_events", ["booking_ref", "persons"])
    op.create_index("ix_scan_events_occurred_at", "scan_events", ["occurred_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_uuid", sa.String(36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_uuid", name="uq_outbox_event_uuid"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.String(200), nullable=True),
        sa.Column("data_as_of", sa.String(40), nullable=True),
        sa.Column("last_attempt_at", sa.String(40), nullable=True),
        sa.Column("last_success_at", sa.String(40), nullable=True),
        sa.Column("server_offset_s", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_state"),
    )


def downgrade() -> None:
    for table in ("sync_state", "settings", "audit_log", "outbox", "scan_events", "guards", "bookings"):
        op.drop_table(table)
