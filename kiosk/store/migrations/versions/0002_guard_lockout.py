"""Guard PIN lockout (failed attempts, locked until) and a lookup index for guard actions on a scan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guards") as batch:
        batch.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.String(40), nullable=True))
    op.create_index("ix_scan_events_ref_event", "scan_events", ["ref_event"])


def downgrade() -> None:
    op.drop_index("ix_scan_events_ref_event", table_name="scan_events")
    with op.batch_alter_table("guards") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_attempts")
