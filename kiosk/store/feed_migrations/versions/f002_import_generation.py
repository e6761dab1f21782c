"""The booking file's import generation, so that an older copy of it is noticed (store/feed_anchor.py).

Revision ID: f002
Revises: f001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "f002"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("import_generation", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("import_generation")
