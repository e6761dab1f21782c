"""The booking file's content digest, so that rows the kiosk did not write are noticed (store/feed_anchor.py).

Revision ID: f003
Revises: f002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "f003"
down_revision = "f002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("content_digest", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("content_digest")
