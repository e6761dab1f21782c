"""Outbox rows the server refused for good, or that can never be sent, are marked and kept (columns
refused_at, refused_reason) instead of being deleted or retried at every sync; and outbox rows whose
masked code is too long for the wire are rewritten to a bounded one, so that they upload.

Why the rewrite: before kiosk.domain.payload.mask_evidence, an event kept mask_code(text) of the
whole payload, text[:2] + one star per hidden character + text[-2:]. For a long payload (a forged
signed code is ~150 characters) that is longer than the wire's 40 characters, so the row failed
validation at every sync and was never sent. The new value is made from what the old one holds,
in mask_evidence's style: its first 6 and last 4 characters (the original's first 2 and last 2, then
stars), its length (the original's length: one star per hidden character) and the first 8 hex digits
of the event's keyed code hash (scan_events.code_hash, the digest mask_evidence gets for a new
event), e.g. ``KS****..**YZ/152#1a2b3c4d``. The original's characters beyond its first 2 and last 2
are not recoverable: the old value never held them. The same forged code scanned after the upgrade
gives ``KS1.AB..WXYZ/152#1a2b3c4d``: its length and digest match the rewritten row's.

Only the outbox body changes (its `code_masked`, and `last_error`, which named the old problem): the
scan_events rows stay as they were, since the audit chain's digests cover them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The wire's limit for a masked code (kiosk.protocol.schema ShortText, kiosk.domain.payload
#: MAX_MASKED_CHARS), frozen here as this migration knew it.
MAX_MASKED_CHARS = 40


def bounded_mask(old_masked: str, digest_hex: str) -> str:
    """A masked code of at most MAX_MASKED_CHARS made from an old, too long one (shorter ones are kept).

    `old_masked` was mask_code(text): only text[:2], text[-2:] and len(text) survive in it, and they
    survive here: ``KS****..**YZ/152#1a2b3c4d`` (first 6 and last 4 characters of the old value, its
    length, the first 8 hex digits of `digest_hex`, the event's keyed code hash; without one, the
    `#...` part is left out)."""
    if len(old_masked) <= MAX_MASKED_CHARS:
        return old_masked
    digest = f"#{digest_hex[:8]}" if digest_hex else ""
    return f"{old_masked[:6]}..{old_masked[-4:]}/{len(old_masked)}{digest}"[:MAX_MASKED_CHARS]


def remask_outbox(connection: Any) -> int:
    """Rewrite every outbox body whose code_masked is longer than MAX_MASKED_CHARS (bounded_mask(),
    with the code hash of the scan event under the same uuid). Bodies that are not JSON objects are
    left alone (the uploader marks them refused). Returns the rows rewritten."""
    changes: list[tuple[int, str, dict[str, Any]]] = []
    for row_id, uuid, body in connection.execute(sa.text("SELECT id, event_uuid, body FROM main.outbox")):
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            continue
        masked = data.get("code_masked") if isinstance(data, dict) else None
        if isinstance(masked, str) and len(masked) > MAX_MASKED_CHARS:
            changes.append((row_id, uuid, data))
    for row_id, uuid, data in changes:
        code_hash = connection.execute(
            sa.text("SELECT code_hash FROM main.scan_events WHERE event_uuid = :uuid"), {"uuid": uuid}
        ).scalar()
        data["code_masked"] = bounded_mask(data["code_masked"], bytes(code_hash).hex() if code_hash else "")
        connection.execute(
            sa.text("UPDATE main.outbox SET body = :body, last_error = NULL WHERE id = :id"),
            {"body": json.dumps(data, sort_keys=True), "id": row_id},
        )
    return len(changes)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("refused_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("refused_reason", sa.Text(), nullable=True))
    remask_outbox(op.get_bind())


def downgrade() -> None:
    # The rewritten masked codes stay bounded: the old, too long values are not kept anywhere.
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("refused_reason")
        batch.drop_column("refused_at")
