"""The booking feed in a file of its own: bookings and the sync state (with the page audit still owed).

Revision ID: f001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "f001"
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
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.String(200), nullable=True),
        sa.Column("data_as_of", sa.String(40), nullable=True),
        sa.Column("last_attempt_at", sa.String(40), nullable=True),
        sa.Column("last_success_at", sa.String(40), nullable=True),
        sa.Column("server_offset_s", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("pending_audit", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_state"),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_index("ix_bookings_service_date", table_name="bookings")
    op.drop_table("bookings")
