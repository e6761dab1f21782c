"""Store-side sync: check a verified page, apply it and move its cursor (or forget the cursor). Each
step ends in a transaction with an audit entry, so the chain shows every sync step; the audit head
file is moved after each (through KioskStore, forward only). The outbox is kiosk/sync/outbox.py,
enrolment and the wipe of a revoked kiosk kiosk/sync/enrolment.py, the rows a page is made of
kiosk/sync/feed_rows.py.

Pages are applied to the booking feed's own file (KioskStore.feed_writing(), synchronous=NORMAL) in
short transactions that step aside for the gate's scans, the page's cursor with the last of them (see
apply_page()); the page's audit entry follows in the database file, which holds the chain. Keys,
office rules and a reset of the cursor use writing() (FULL).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from kiosk.domain.model import Status
from kiosk.protocol.keys import Keyring
from kiosk.protocol.schema import PageBody, Tombstone
from kiosk.protocol.wire import OFFICES_QUERY, CursorValue, ProtocolError, directory_digest, directory_of, keyring_of
from kiosk.store import audit, feed_anchor, feed_state, settings
from kiosk.store import bookings as booking_repo
from kiosk.store.db import KioskStore
from kiosk.store.parts.settings import held_directory, put_directory
from kiosk.store.schema import AuditRow
from kiosk.store.times import to_text
from kiosk.sync import state
from kiosk.sync.feed_rows import drop_code_owners, page_rows
from kiosk.sync.state import Enrolment

#: Booking rows per transaction when a page is applied (at most). Each holds the database's writer
#: lock, which every scan needs, for a millisecond or two; its commit (frames written to the WAL, no
#: flush) is the one part a scan that begins meanwhile may have to wait for. Incremental changes
#: touch pages all over the file (some three per row), new bookings of a first sync fill a few pages
#: in order: its transactions can be larger for the same commit, and must be, for its 10 s.
ROWS_PER_TRANSACTION = 100
FIRST_SYNC_ROWS_PER_TRANSACTION = 200
#: Rows written between two looks for a scan waiting (a tenth of a millisecond or so).
_ROWS_PER_WRITE_STEP = 10
#: How often one transaction of a page is rolled back for a scan before it commits regardless (the
#: scan then waits for the rest of its step and its commit): a gate that never rests slows the sync,
#: never stops it.
_MAX_STEP_ASIDE = 2


class _ScanWaitingError(Exception):
    """A scan began during a feed transaction: roll it back (at once, nothing to flush), write it again."""


@dataclass(frozen=True, slots=True)
class Applied:
    bookings: int
    tombstones: int
    cursor: str
    complete: bool
    #: The longest time one of the page's transactions held the database's write lock (a scan's
    #: commit waits that long at worst).
    lock_ms: float = 0.0


def check_page(page: PageBody, requested: str | None, enrolled: Enrolment) -> None:
    """Everything about a verified page that must hold before any of it is applied. Raises ProtocolError."""
    if page.kiosk_id != enrolled.kiosk_id:
        raise ProtocolError(f"page is for kiosk {page.kiosk_id}, not this one")
    if page.office.office_code != enrolled.office_code:
        raise ProtocolError(f"page is for office {page.office.office_code}, not {enrolled.office_code}")
    if page.since != requested:
        raise ProtocolError(f"page answers cursor {page.since}, not the one asked for ({requested})")
    new = CursorValue.parse(page.cursor)
    if requested is not None:
        old = CursorValue.parse(requested)
        if new.epoch != old.epoch or new.seq < old.seq:
            raise ProtocolError(f"cursor goes backwards: {requested} -> {page.cursor}")
    for booking in page.bookings:
        if booking.office_code != enrolled.office_code:
            raise ProtocolError(f"page carries booking {booking.booking_ref} of office {booking.office_code}")
        if booking.status not in (Status.ACTIVE, Status.UNPAID):
            raise ProtocolError(f"page carries {booking.status} booking {booking.booking_ref} as live")
    refs = [b.booking_ref for b in page.bookings] + [t.booking_ref for t in page.tombstones]
    if len(refs) != len(set(refs)):
        raise ProtocolError("page names a booking twice")
    if not page.keys:
        raise ProtocolError("page lists no server keys")
    try:
        settings.rules_from_json({**page.office.rules, "office_code": page.office.office_code})
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"page carries office rules this kiosk cannot use: {exc}") from exc
    if page.offices is not None:
        directory_of(page.offices)  # an office named twice: ProtocolError


def apply_page(
    store: KioskStore,
    page: PageBody,
    requested: str | None,
    as_of: dt.datetime,
    now: dt.datetime,
    server_offset_s: float | None = None,
    *,
    rows_per_transaction: int = ROWS_PER_TRANSACTION,
) -> Applied:
    """Apply a verified, checked page and move the cursor. `as_of` (the kiosk time the request was
    sent) becomes the data's age when this is the last page; the clock offset measured on this page's
    request is stored with it.

    The gate goes first (see KioskStore.feed_writing(), yield_to_scans(), checkpoint()):
    * everything costly (hashing, sealing) is done before any write lock is taken, in steps of
      _ROWS_PER_STEP rows (kiosk/sync/feed_rows.py) with a yield to the scans between them;
    * new server keys, office rules or office directory, if the page brings any, are stored first (database file,
      audited; both were checked and the page is signed, so storing them early is safe);
    * the rows go into the feed's file (its own writer lock, which no scan takes;
      synchronous=NORMAL: no fsync under the lock), at most
      `rows_per_transaction` per transaction, written _ROWS_PER_WRITE_STEP at a time; a scan that
      begins meanwhile (in this process or another: KioskStore.scan_waiting()) makes the sync roll
      the transaction back at the next step, or just before its commit, and write it again once the
      scan is done: the scan waits a tenth of a millisecond, never for a commit (after two such
      roll-backs of one transaction it commits instead, ending early: a gate that never rests slows
      the sync, never stops it);
    * the last transaction also holds the rest of the page (removals, the sync state), moves the
      cursor and notes the page's audit entry `sync.page`;
    * after each transaction, outside it, a checkpoint of the booking file flushes it to disk and
      keeps the WAL short;
    * then the entry goes into the chain, in the database file, in a short transaction of its own
      (settle_page_audit(): made later if a crash came between the two, never twice; flushed, and
      named by the audit head file, for the last page of a download).

    Why a page may be split: the cursor moves only with the page's last rows, and every write of a
    page can be made again: a row is replaced only by an equal or newer version, a removal deletes
    only versions up to its own, a code's old owner is dropped in favour of the same new one. A page
    cut short (an error, a power cut) is therefore fetched again from the cursor that did not move and
    applied again, to the same end. Meanwhile the data is in the kind of state it is in between two
    pages of one download: some of the download's changes in, each row at its old or its new version,
    and the data's age unchanged until the last page is in (a first sync has no age until then, so
    unknown codes are REFERred, never denied on half a list). Each transaction checks that the cursor
    is still the one the page answers: a second sync of the same database (another process) that got
    further makes this one stop, before it can write an older page's rows over newer ones."""
    settle_page_audit(store)  # a page applied before a crash may still owe its entry
    rows = page_rows(store, page, now)
    removed = [t for t in page.tombstones if t.status == "removed" or not t.code]
    _store_keys_and_rules(store, page, keyring_of(page.keys), now)
    owed = _owed_entry(store, page, now)
    made = _begin_page(store, requested, page.cursor, now)
    size = max(1, rows_per_transaction)
    done = 0
    lock_ms = 0.0
    finished = False
    stepped_aside = 0
    while not finished:
        store.yield_to_scans()
        locked_at = time.perf_counter()
        began = done
        try:
            with store.feed_writing() as connection:
                if state.cursor(connection) != requested:
                    raise ProtocolError("the cursor moved while this page was fetched (another sync ran); page dropped")
                content_before = feed_state.file_content(connection)
                end = min(done + size, len(rows))
                while done < end:  # small steps; a scan that begins meanwhile ends the transaction early
                    step = rows[done : min(done + _ROWS_PER_WRITE_STEP, end)]
                    drop_code_owners(connection, {row["code_hash"]: row["booking_ref"] for row in step})
                    booking_repo.upsert_rows(connection, step)
                    done += len(step)
                    if store.scan_waiting():
                        if stepped_aside < _MAX_STEP_ASIDE:
                            raise _ScanWaitingError
                        break
                if done == len(rows):
                    _finish_page(connection, page, removed, owed, as_of, server_offset_s, now)
                    finished = True
                    if stepped_aside < _MAX_STEP_ASIDE and store.scan_waiting():
                        finished = False
                        raise _ScanWaitingError
                content_after = feed_state.file_content(connection)
        except _ScanWaitingError:
            done = began
            stepped_aside += 1
            continue
        stepped_aside = 0
        made = _seen(made, content_before, content_after)
        lock_ms = max(lock_ms, (time.perf_counter() - locked_at) * 1000)
        store.yield_to_scans()
        store.checkpoint(feed_only=True)  # the booking file's: small, frequent flushes, a short WAL
    settle_page_audit(store, flush=not page.has_more, content=made, complete=not page.has_more)
    return Applied(len(page.bookings), len(page.tombstones), page.cursor, not page.has_more, lock_ms)


def _begin_page(store: KioskStore, requested: str | None, cursor: str, now: dt.datetime) -> feed_state.Content | None:
    """The page's intent, before its first row (database file, flushed: store/feed_anchor.py); returns
    the anchor's content, from which the page's transactions are followed (_seen())."""
    with store.writing() as connection:
        feed_anchor.begin_page(connection, requested, cursor, now)
        made = feed_state.Content.parse(feed_anchor.read_anchor(connection).content)
    store.audit.write_anchor()
    return made


def _seen(
    made: feed_state.Content | None, before: feed_state.Content | None, after: feed_state.Content | None
) -> feed_state.Content | None:
    """What a page's committed transactions made of the anchor's content, seen here: the anchor moves
    to it, not to what the file says (feed_anchor.settle_page()). None: not followed."""
    if made is None or before is None or after is None:
        return None
    return made.shifted(before, after)


def _finish_page(
    connection: Connection,
    page: PageBody,
    removed: list[Tombstone],
    owed: dict[str, Any],
    as_of: dt.datetime,
    server_offset_s: float | None,
    now: dt.datetime,
) -> None:
    """The rest of a page, in its last transaction on the feed's file: removals, the sync state with
    the new cursor, and the page's audit entry noted as owed (settle_page_audit() writes it)."""
    for tomb in removed:
        booking_repo.delete_rows(connection, "booking_ref = ? AND version <= ?", (tomb.booking_ref, tomb.version))
    values: dict[str, Any] = {"cursor": page.cursor, "last_error": None, "pending_audit": json.dumps(owed)}
    if server_offset_s is not None:
        values["server_offset_s"] = server_offset_s
    if not page.has_more:
        values["data_as_of"] = to_text(as_of)
        values["last_success_at"] = to_text(now)
    state.put_state(connection, **values)


def _owed_entry(store: KioskStore, page: PageBody, now: dt.datetime) -> dict[str, Any]:
    """The page's `sync.page` audit entry, to be noted with its cursor. `after`: the chain's head now;
    the entry, once written, comes after it (which is how settle_page_audit() finds it, and why the
    same page applied again later, after a reset, is a new entry)."""
    digest = audit.canonical_digest(
        {"since": page.since, "cursor": page.cursor, "bookings": len(page.bookings), "tombstones": len(page.tombstones)}
    )
    return {"at": to_text(now), "subject": f"feed:{page.cursor}", "digest": digest, "after": store.audit.head().seq}


def settle_page_audit(
    store: KioskStore, *, flush: bool = True, content: feed_state.Content | None = None, complete: bool = False
) -> audit.Head | None:
    """Write the audit entry the last page applied noted with its cursor, unless the chain already
    has it. Returns the entry's head when it was written now. The entry's transaction also moves the
    booking file's anchor to the page's cursor (kiosk/store/feed_anchor.py: a booking file put back
    from an older copy is behind it). `flush` (the last page of a download):
    commit it flushed (synchronous=FULL) and move the audit head file to it; otherwise it is not
    flushed (bulk_writing()), and the next scan's commit, which flushes the log up to itself, puts it
    on disk, and that scan moves the head file past it. The sync does not checkpoint the database
    file: measured, its checkpoints there (copying the scans' own pages, flushing the file a scan is
    flushing too) made the scans' commits slower, 1.5 -> 7.7 ms at p95 during incremental syncs;
    what the sync writes there is a few rows, and the gate's own checkpoints go on as when idle.

    Why two steps: the page is in the feed's file and the chain in the database file, and no
    transaction spans both atomically (WAL mode); the note, kept until the next page replaces it,
    makes the second step one that is finished later if it was cut off, and found done if it was
    not. An unflushed entry may be lost at a power cut together with the page's cursor (then the
    page is fetched and noted again) or without it (then it is written again from the note). At
    worst, the cursor lost and the entry kept, the page is applied and audited a second time: the
    chain says so.

    `content`: what the page's own transactions made of the anchor's content (apply_page() saw them;
    None: not seen here, see feed_anchor.settle_page()); `complete`: the last page of a download."""
    with store.reading() as connection:
        owed = state.pending_audit(connection)
        if owed is None or _entry_written(connection, owed):
            return None
    store.yield_to_scans()
    head: audit.Head | None = None
    with store.writing() if flush else store.bulk_writing() as connection:
        if not _entry_written(connection, owed):
            head = feed_anchor.settle_page(connection, owed, content=content, complete=complete)
    if head is not None and flush:  # committed with synchronous=FULL: the head file may name it
        store.audit.write_anchor(head)
    return head


def _entry_written(connection: Connection, owed: dict[str, Any]) -> bool:
    found = connection.execute(
        select(AuditRow.seq).where(
            AuditRow.seq > int(owed.get("after", 0)),
            AuditRow.kind == "sync.page",
            AuditRow.subject == owed["subject"],
        )
    ).first()
    return found is not None


def _store_keys_and_rules(store: KioskStore, page: PageBody, ring: Keyring, now: dt.datetime) -> None:
    """Server keys, office rules and the office directory a page brings, stored when they differ
    (database file, audited)."""
    names = None if page.offices is None else directory_of(page.offices)
    with store.reading() as connection:
        same_keys = state.keyring(connection).texts() == ring.texts()
        same_rules = settings.get(connection, settings.RULES_KEY) == _page_rules(page)
        same_names = names is None or held_directory(connection) == names
    if same_keys and same_rules and same_names:
        return
    with store.writing() as connection:
        state.put_keyring(connection, ring)
        _maybe_new_rules(connection, page, now)
        if names is not None:
            put_directory(connection, names, now)
    store.audit.write_anchor()


def directory_query(store: KioskStore) -> dict[str, str]:
    """The feed request's `offices` parameter: the digest of the office directory this kiosk holds, so
    that a page carries the server's only when it differs (docs/sync-protocol.md, "The office
    directory"). A server older than the directory ignores it."""
    with store.reading() as connection:
        return {OFFICES_QUERY: directory_digest(held_directory(connection))}


def reset_cursor(store: KioskStore, now: dt.datetime, reason: str) -> None:
    settle_page_audit(store)
    with store.writing(feed=True) as connection:
        digest = audit.canonical_digest({"reason": reason})
        feed_anchor.forget_position(connection, "reset", now, "sync.reset", "feed", digest)
        state.put_state(connection, cursor=None)
    store.audit.write_anchor()


def _page_rules(page: PageBody) -> Any:
    office = page.office
    return settings.rules_to_json(settings.rules_from_json({**office.rules, "office_code": office.office_code}))


def _maybe_new_rules(connection: Any, page: PageBody, now: dt.datetime) -> None:
    rules = _page_rules(page)
    if settings.get(connection, settings.RULES_KEY) != rules:
        settings.put(connection, settings.RULES_KEY, rules)
        identity = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY))
        digest = audit.canonical_digest({"identity": settings.identity_to_json(identity), "rules": rules})
        audit.append(connection, to_text(now), "settings", "office", digest)
