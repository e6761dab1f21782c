"""The booking feed moves to a file of its own (kiosk.bookings.db beside kiosk.db): bookings and
sync_state leave this file. Their rows were copied to the feed file before this step, in a
transaction of their own (kiosk.store.migrate.carry_over_feed), so a crash between the two loses
nothing: the copy is made again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_bookings_service_date", table_name="bookings", schema="main")
    op.drop_table("bookings", schema="main")
    op.drop_table("sync_state", schema="main")


def downgrade() -> None:
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
        schema="main",
    )
    op.create_index("ix_bookings_service_date", "bookings", ["service_date"], schema="main")
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
        schema="main",
    )
