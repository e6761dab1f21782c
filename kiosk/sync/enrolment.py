"""The kiosk's enrolment in its store: saved when the server enrols it, wiped when the server says it
is revoked. Both forget the booking feed's position with an audit entry (feed_anchor.forget_position());
the wipe first settles an entry a page may still owe (kiosk/sync/apply.py)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete

from kiosk.protocol.keys import Keyring
from kiosk.store import audit, feed_anchor, feed_state, settings
from kiosk.store.db import KioskStore
from kiosk.store.parts.settings import SYNC_ENROLLED
from kiosk.store.schema import BookingRow
from kiosk.sync import apply, state
from kiosk.sync.state import Enrolment

log = logging.getLogger(__name__)


def save_enrolment(
    store: KioskStore,
    enrolled: Enrolment,
    device_token: str,
    ring: Keyring,
    rules: dict[str, Any],
    gate: str,
    now: dt.datetime,
) -> None:
    """Remember the server, the token and the pinned keys; set the kiosk's identity and office rules."""
    identity = settings.Identity(kiosk_id=enrolled.kiosk_id, gate=gate, office_code=enrolled.office_code)
    office_rules = settings.rules_from_json({**rules, "office_code": enrolled.office_code})
    with store.writing(feed=True) as connection:
        settings.put(connection, SYNC_ENROLLED, enrolled.to_json())
        settings.put(connection, state.TOKEN_KEY, device_token)
        state.put_keyring(connection, ring)
        digest = audit.canonical_digest({**enrolled.to_json(), "keys": ring.key_ids})
        feed_anchor.forget_position(connection, "enrol", now, "sync.enrol", enrolled.kiosk_id, digest)
        state.put_state(connection, cursor=None, data_as_of=None, last_error=None)
    store.settings.configure(identity, office_rules, now)


def wipe(store: KioskStore, now: dt.datetime, revoked_at: str) -> int:
    """A revoked kiosk: delete every booking (names, NIK digits, code hashes) and the device token. Events
    and the outbox stay (they hold no names or NIK digits and are the office's evidence); the kiosk keeps
    `sync.enrolled` so that unknown codes are REFERred, not denied, until it is enrolled again.

    The bookings go first, in the feed's file, then the token and the audit entry in the database
    file: cut off between the two, the kiosk still has its token, asks the server again, is told
    again that it is revoked and finishes the wipe."""
    apply.settle_page_audit(store)
    with store.feed_writing(durable=True) as connection:
        removed = connection.execute(delete(BookingRow)).rowcount or 0
        feed_state.set_file_content(connection, feed_state.Content())
        state.put_state(connection, cursor=None, data_as_of=None, last_error="kiosk revoked by the server")
    with store.writing() as connection:
        enrolled = state.enrolment(connection)
        state.forget_token(connection)
        if enrolled is not None:
            settings.put(connection, SYNC_ENROLLED, {**enrolled.to_json(), "revoked_at": revoked_at})
        digest = audit.canonical_digest({"revoked_at": revoked_at, "bookings_deleted": removed})
        subject = enrolled.kiosk_id if enrolled else "-"
        feed_anchor.forget_position(connection, "wipe", now, "sync.revoked", subject, digest)
    store.audit.write_anchor()
    raw = store.engine.raw_connection()  # outside any transaction: rewrite the files without the rows
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        cursor.execute("VACUUM feed")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()
    log.warning("kiosk revoked by the server: %d booking(s) wiped", removed)
    return removed
