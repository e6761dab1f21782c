"""Guard lockouts escalate: guards.lockouts counts the lockouts since the guard's last successful
login; each lockout lasts twice as long as the one before (kiosk/store/guards.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guards") as batch:
        batch.add_column(sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("guards") as batch:
        batch.drop_column("lockouts")
