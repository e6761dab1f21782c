"""Signed booking codes at the kiosk: verify against the synced keys, and decide on their own fields.

Verification happens in the door (kiosk/door, with kiosk.protocol.codes.read) before decide(): crypto
stays out of the domain. A genuine code's presentation carries the inner booking code and
signature_valid=True; anything else signature_valid=False (FORGED).

Choice for a genuine code whose booking the kiosk does not hold (not synced yet, or the kiosk has no
data at all): the kiosk "learns" the booking from the signed fields, inserting it into its local data
(version 0, no name, no NIK digits) in its own audited transaction, and then decides as for any
booking. So the usual checks apply to it: office, day, window, entries already used at this gate, and
the clock (an untrusted clock REFERs). Any version from the feed replaces it, a tombstone from the
feed (cancelled / rescheduled: the revocation list) overrides it, and a learned row never overrides
a synced one. It fails closed: a bad, truncated, padded or extended code, an unknown key or a key
that is no longer listed is FORGED; a revoked code is CANCELLED or RESCHEDULED.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from kiosk.protocol import codes
from kiosk.store import audit, feed_anchor, feed_state
from kiosk.store import bookings as booking_repo
from kiosk.store.db import KioskStore
from kiosk.store.schema import BookingRow
from kiosk.store.times import to_text


def learn(store: KioskStore, fields: codes.SignedFields, now: dt.datetime) -> bool:
    """Insert the signed booking unless the kiosk holds its code or its ref already. True if inserted."""
    code_hash = store.hasher.hash(fields.code)
    with store.writing(feed=True) as connection:
        known = connection.execute(
            select(BookingRow.id).where(
                or_(BookingRow.code_hash == code_hash, BookingRow.booking_ref == fields.booking_ref)
            )
        ).first()
        if known is not None:
            return False
        incoming = booking_repo.IncomingBooking(fields.code, fields.booking(), to_text(now))
        before = feed_state.file_content(connection)
        booking_repo.upsert(connection, store.hasher, [incoming])
        digest = audit.canonical_digest({"booking_ref": fields.booking_ref, "office": fields.office_code})
        # the entry, and the booking file's content in both files (store/feed_anchor.py)
        feed_anchor.rows_changed(connection, before, now, "sync.learn", fields.booking_ref, digest)
    return True
