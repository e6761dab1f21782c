"""A database from before the booking file's anchor (kiosk/store/feed_anchor.py) is marked, once, for
the anchor to be adopted from its booking file at the next open (feed_anchor.adopt(): an audit entry
`feed.anchor`, subject `feed:adopted`). Without the mark such a database would look like one whose
anchor was deleted by hand, and every code would go to the officer. A database made new has no audit
entries yet and gets no mark: its anchor is written by its first import or page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ADOPT = {"adopt": True}


def upgrade() -> None:
    bind = op.get_bind()
    written = bind.execute(sa.text("SELECT 1 FROM audit_log LIMIT 1")).first() is not None
    anchored = bind.execute(sa.text("SELECT 1 FROM settings WHERE key = 'feed.anchor'")).first() is not None
    if written and not anchored:
        bind.execute(
            sa.text("INSERT INTO settings (key, value) VALUES ('feed.anchor', :value)"),
            {"value": json.dumps(ADOPT, sort_keys=True)},
        )


def downgrade() -> None:
    op.get_bind().execute(
        sa.text("DELETE FROM settings WHERE key = 'feed.anchor' AND value = :value"),
        {"value": json.dumps(ADOPT, sort_keys=True)},
    )
