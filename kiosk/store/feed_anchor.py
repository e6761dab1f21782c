"""The booking file cannot go back in time, nor hold rows this kiosk did not write: its position and
its content are anchored in the database file, and the anchor in the audit chain.

Row seals (codes.py) prove each booking row is as written with the kiosk's key, not that the file is
the newest one, nor that the kiosk wrote it: an older copy of `kiosk.bookings.db` put back over the
current one would bring back bookings cancelled since, and root holds the key and can seal rows. So
the database file, whose audit chain is hash-linked, anchored beside it and at the server, keeps an
anchor (settings key ANCHOR_KEY) of what the booking file has been seen to be:

* the feed cursor `<epoch>.<seq>` of the last page whose `sync.page` entry is in the chain (moved in
  that entry's transaction, forward only: kiosk/sync/apply.py settle_page_audit()), and the epochs
  given up since (`retired`: a feed the server rebuilt);
* the import generation: each `kiosk import` sets generation = max(file's, anchor's) + 1 in both
  files, in one transaction (import_rows());
* the content: the row count and the sum modulo 2**256 of sha256(row seal) over the rows (Content),
  kept in step with every change of the rows, in the same transaction, in the booking file's
  sync_state (`content_digest`, change_content()) and in the anchor (imports, purges, learned codes:
  rows_changing(); a page: settle_page(), with the content the page's own transactions made);
* while a page is applied (its rows go in several transactions of the booking file alone, the
  anchor moves after them), the page's intent (`applying`: from which cursor to which, by which
  process), written before its first row: the file may then be anywhere between the two.

Every change of the anchor is an audit entry `feed.anchor` (subject `feed:<cursor>`, digest: the
anchor's JSON): the anchor in the settings table must be the one the newest such entry names, or
it was edited (chain_problem()); changing it then means rewriting the chain, which the server's
copy of it shows.

The booking file is found wrong (examine()), and its bookings are not used for decisions (every
code is REFERred, STALE_DATA), when
* its cursor is behind the anchor's (the anchor's epoch and a lower seq, a retired epoch, no cursor
  while the anchor has one, an epoch the anchor never saw while the anchor has a position) or its
  import generation is lower (behind(): also at every scan);
* the anchor is not the one the chain holds;
* its cursor differs from the anchor's while no page is being applied (a cursor moved ahead by
  hand would skip changes at the next sync);
* (at open and at the periodic check of `kiosk run`: it reads every row) its rows' content is not
  the one its own sync_state says, or, no page being applied, not the anchor's.

The first time (at open, at the periodic check), one audit entry `feed.rolled_back` says why, and
NOTED_KEY remembers it: every code goes to the officer until it is repaired. An enrolled kiosk's
file is emptied at once (rows, cursor, content) and the anchor's position forgotten: the next sync
downloads everything from nothing (no forged cursor resumed, no forged row kept), and the report is
forgotten when that download is complete. A kiosk without sync is repaired by `kiosk import` of the
office's full export: an import into a wrong file replaces every row it carries whatever its stored
version, and the content is then counted again from the rows (rows not in the import stay: the
import is trusted to be the full export). A page whose process is gone (a crash or power cut while
a page was applied: the intent names a process that no longer runs) cannot be checked either: the
file is emptied the same way and downloaded again, with a `sync.reset` entry and no alarm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, select

from kiosk.store import audit, settings
from kiosk.store.engine import driver
from kiosk.store.feed_state import (
    ADOPT,
    STATE_TABLE,
    Anchor,
    Behind,
    Content,
    FileState,
    anchor_digest,
    behind,
    file_content,
    in_page,
    moved_to,
    new_intent,
    process_gone,
    recompute,
    set_file_content,
    split_cursor,
)
from kiosk.store.schema import AuditRow, BookingRow
from kiosk.store.times import to_text

#: {"epoch", "seq", "retired", "generation", "content", "applying"} (Anchor.to_json()).
ANCHOR_KEY = "feed.anchor"
#: {"at": when, "reason": why, "repair": "sync" | "import"}: the wrong file was reported.
NOTED_KEY = "feed.rolled_back"
ROLLED_BACK_KIND = "feed.rolled_back"
#: The audit entry of every change of the anchor (its digest: canonical_digest(anchor.to_json())).
ANCHOR_KIND = "feed.anchor"
_STATE = STATE_TABLE
_BOOKINGS = BookingRow.__tablename__
_FILE_STATE_SQL = f"SELECT cursor, import_generation, content_digest FROM {_STATE} WHERE id = 1"


# --- in the database ------------------------------------------------------------------------------


def read_anchor(connection: Connection) -> Anchor:
    return Anchor.from_json(settings.get(connection, ANCHOR_KEY))


def read_file_state(connection: Connection) -> FileState:
    """The booking file's cursor, import generation and content (a connection with the file attached)."""
    row = driver(connection).execute(_FILE_STATE_SQL).fetchone()
    if row is None:
        return FileState()
    cursor, generation, content = row
    return FileState(cursor, int(generation or 0), content)


def file_behind(connection: Connection) -> tuple[FileState, Anchor, Behind | None]:
    """The booking file's state, its anchor and whether (why) it is behind it (cursor, generation)."""
    file, anchor = read_file_state(connection), read_anchor(connection)
    return file, anchor, behind(file, anchor)


#: The audit entries that move the anchor, each covering it (covered_append()): the anchor in the
#: settings names the newest of them.
COVER_KINDS = (
    "import",
    "purge",
    "sync.learn",
    "sync.page",
    "sync.reset",
    "sync.enrol",
    "sync.revoked",
    "feed.lost",
    ROLLED_BACK_KIND,
    ANCHOR_KIND,
)


def _newest_cover(connection: Connection, kinds: Sequence[str] = COVER_KINDS) -> tuple[int, str] | None:
    found = connection.execute(
        select(AuditRow.seq, AuditRow.digest).where(AuditRow.kind.in_(kinds)).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    return None if found is None else (int(found[0]), str(found[1]))


def covered_digest(material: str, anchor: Anchor) -> str:
    """The digest of an entry that moves the anchor: its own material's digest and the anchor's."""
    return audit.canonical_digest({"entry": material, "anchor": anchor_digest(anchor)})


def covered_append(
    connection: Connection, at: dt.datetime | str, kind: str, subject: str, material: str, anchor: Anchor
) -> audit.Head:
    """Append the entry of a change that moves the anchor (`material`: the digest it would have had
    alone), covering the anchor `anchor`, and write that anchor, naming the entry."""
    when = at if isinstance(at, str) else to_text(at)
    head = audit.append(connection, when, kind, subject, covered_digest(material, anchor))
    settings.put(connection, ANCHOR_KEY, {**anchor.to_json(), "cover": {"seq": head.seq, "entry": material}})
    return head


def chain_problem(connection: Connection, anchor: Anchor) -> str | None:
    """Why the anchor in the settings is not the one the newest entry that moved it covers (None: it is)."""
    data = settings.get(connection, ANCHOR_KEY)
    if data == ADOPT:
        return None  # a database from before anchors (migration 0007): adopt() anchors it
    cover = data.get("cover") if isinstance(data, dict) else None
    newest = _newest_cover(connection)
    if cover is None:
        if newest is None:
            return None  # nothing anchored yet
        # An anchor no entry names while entries moved it: edited by hand, or of an older kiosk
        # version (which cannot be told apart from an anchor stripped by hand: not adopted).
        return "the booking file's anchor in the database is in no audit entry (edited by hand, or of an older kiosk)"
    if not isinstance(cover, dict) or not isinstance(cover.get("entry"), str) or newest is None:
        return "the booking file's anchor in the database names no audit entry (edited by hand?)"
    if newest[0] != cover.get("seq") or newest[1] != covered_digest(cover["entry"], anchor):
        return "the booking file's anchor in the database is not the one the audit chain holds (edited by hand?)"
    return None


def expected_content(connection: Connection, anchor: Anchor) -> Content | None:
    """The content the anchor holds the rows to (None: not known yet: nothing was anchored, or an
    anchor of an older kiosk; the first import or page, or adopt(), anchors it)."""
    del connection
    return Content.parse(anchor.content)


def examine(connection: Connection, *, deep: bool) -> Behind | None:
    """Why the booking file is not what this database saw (None: it is). `deep`: also count its
    content from its rows (every row is read). See the module's docstring."""
    file, anchor = read_file_state(connection), read_anchor(connection)
    late = behind(file, anchor)
    if late is not None:
        return late
    problem = chain_problem(connection, anchor)
    if problem is not None:
        return Behind("", "", problem)
    paging = in_page(file, anchor)
    if not paging and expected_content(connection, anchor) is not None and file.cursor != anchor.cursor:
        return Behind(f"cursor {file.cursor}", f"cursor {anchor.cursor}", _past(file.cursor, anchor.cursor))
    if not deep:
        return None
    actual = recompute(connection)
    try:
        stored = Content.parse(file.content)
    except ValueError:
        return Behind("", "", "the booking file's own content digest cannot be read (edited by hand?)")
    if stored is not None and actual != stored:
        return Behind("", "", _foreign(actual, stored))
    expected = expected_content(connection, anchor)
    if not paging and expected is not None and actual != expected:
        return Behind("", "", _foreign(actual, expected))
    return None


def _past(cursor: str | None, anchored: str | None) -> str:
    return f"cursor {cursor} is not where this database saw the file ({anchored or 'no cursor'}), no page being applied"


def _foreign(actual: Content, expected: Content) -> str:
    return f"booking rows this kiosk did not write ({actual.short()}, expected {expected.short()})"


def needs_adoption(connection: Connection) -> bool:
    """Something adopt() records is not recorded yet."""
    return read_file_state(connection).content is None or settings.get(connection, ANCHOR_KEY) == ADOPT


def adopt(connection: Connection, now: dt.datetime) -> bool:
    """At open, once the file was found sound: the content of a file made anew, or of an older kiosk
    version, counted from its rows (the anchor's is set by the first import or page). A database from
    before anchors (migration 0007's mark) is anchored to its booking file as it is now, with an
    entry `feed.anchor` (subject `feed:adopted`): trusted on first use, once. True: written."""
    written = False
    if read_file_state(connection).content is None:
        set_file_content(connection, recompute(connection))
        written = True
    if settings.get(connection, ANCHOR_KEY) == ADOPT:
        file = read_file_state(connection)
        position = split_cursor(file.cursor)
        anchor = Anchor(
            epoch=None if position is None else position[0],
            seq=None if position is None else position[1],
            generation=file.generation,
            content=file.content,
        )
        material = audit.canonical_digest({"adopted": file.to_json()})
        covered_append(connection, now, ANCHOR_KIND, "feed:adopted", material, anchor)
        written = True
    return written


# --- moves (each one with the entry that covers it) ----------------------------------------------


def begin_page(connection: Connection, since: str | None, cursor: str, now: dt.datetime) -> None:
    """Before a page's first row is written (database file): the intent (see the module's docstring),
    in a `feed.anchor` entry."""
    anchor = read_anchor(connection)
    material = audit.canonical_digest({"since": since, "cursor": cursor})
    subject = f"feed:{cursor}"[: audit.MAX_SUBJECT_CHARS]
    covered_append(connection, now, ANCHOR_KIND, subject, material, replace(anchor, applying=new_intent(since, cursor)))


def settle_page(
    connection: Connection, owed: dict[str, Any], *, content: Content | None, complete: bool = False
) -> audit.Head:
    """The `sync.page` entry `owed` (apply.py), moving the anchor to its cursor (forward only) and to
    `content`, what the page's own transactions made of the anchor's content (None: not seen made,
    a page settled after its process stopped: the file's own digest, once its rows are counted and
    agree); the intent is done. The report of a wrong file is forgotten once a download after it is
    complete (`complete`)."""
    cursor = str(owed["subject"]).removeprefix("feed:")
    anchor = read_anchor(connection)
    moved = moved_to(anchor, cursor)
    if read_file_state(connection).cursor == cursor:
        stored = file_content(connection)
        if content is None or stored != content:  # not seen made here: the file's, if its rows agree
            content = stored if stored is not None and stored == recompute(connection) else None
        if content is not None:
            moved = replace(moved, content=str(content))
    if anchor.applying is not None and cursor == anchor.applying.cursor:
        moved = replace(moved, applying=None)
    head = covered_append(connection, str(owed["at"]), "sync.page", str(owed["subject"]), str(owed["digest"]), moved)
    noted = settings.get(connection, NOTED_KEY)
    if noted is not None and complete and behind(read_file_state(connection), moved) is None:
        settings.delete(connection, NOTED_KEY)
    return head


def rows_changed(
    connection: Connection, before: Content | None, now: dt.datetime, kind: str, subject: str, material: str
) -> audit.Head:
    """After a change of the rows in a transaction of both files (purge, a learned code; `before`:
    the file's content before it), its entry: the anchor's content moved as the file's was."""
    after, anchor = file_content(connection), read_anchor(connection)
    expected = Content.parse(anchor.content)
    if before is not None and after is not None and expected is not None:
        anchor = replace(anchor, content=str(expected.shifted(before, after)))
    elif expected is None and after is not None:
        anchor = replace(anchor, content=str(after))  # nothing anchored yet
    return covered_append(connection, now, kind, subject, material, anchor)


def wrong_file(connection: Connection) -> bool:
    """Whether an import now is the repair of a file found wrong (reported, or behind its anchor)."""
    return settings.get(connection, NOTED_KEY) is not None or file_behind(connection)[2] is not None


def imported(
    connection: Connection, now: dt.datetime, subject: str, material: str, *, repair: bool, before: Content | None
) -> audit.Head:
    """An import's entry, at the end of its transaction (both files), its rows written: the next
    import generation, max(file's, anchor's) + 1, in both files; the anchor's content moved as the
    file's (`before`: the file's before the rows), or, for a repair, counted again from the rows; the
    report of a wrong file forgotten."""
    file, anchor = read_file_state(connection), read_anchor(connection)
    generation = max(file.generation, anchor.generation) + 1
    content = anchor.content
    if repair:
        counted = recompute(connection)
        set_file_content(connection, counted)
        content = str(counted)
    else:
        after, expected = file_content(connection), expected_content(connection, anchor)
        if before is not None and after is not None and expected is not None:
            content = str(expected.shifted(before, after))
        elif expected is None and after is not None:
            content = str(after)  # nothing anchored yet
    raw = driver(connection)
    if raw.execute(f"SELECT id FROM {_STATE} WHERE id = 1").fetchone() is None:
        raw.execute(f"INSERT INTO {_STATE} (id, content_digest) VALUES (1, ?)", (str(recompute(connection)),))
    raw.execute(f"UPDATE {_STATE} SET import_generation = ? WHERE id = 1", (generation,))
    moved = replace(anchor, generation=generation, content=content)
    head = covered_append(connection, now, "import", subject, material, moved)
    if settings.get(connection, NOTED_KEY) is not None and file_behind(connection)[2] is None:
        settings.delete(connection, NOTED_KEY)
    return head


def forget_position(
    connection: Connection, why: str, now: dt.datetime, kind: str, subject: str, material: str
) -> audit.Head:
    """The booking file's cursor is being cleared on purpose (call before clearing it), with its entry:
    * "reset" (the server reset the feed): a sound file loses nothing, so the anchor's position is
      forgotten too and the download from nothing is not taken for a rollback (its epoch stays, not
      retired: the same feed may come again); a file found behind keeps the anchor: refused until the
      download gets back to where it was;
    * "wipe" (the kiosk was revoked, its bookings deleted): the position is forgotten, the content
      is none;
    * "enrol" (enrolled anew, perhaps with another server): the anchor starts afresh, its generation
      and content kept."""
    anchor = read_anchor(connection)
    if why == "enrol":
        anchor = Anchor(generation=anchor.generation, content=anchor.content)
    elif why == "wipe":
        anchor = replace(anchor, seq=None, content=str(Content()), applying=None)
    elif behind(read_file_state(connection), anchor) is None:
        # A page cut off before the reset left some of its rows: what they made was not seen (the
        # next page's entry counts the rows again, settle_page()).
        content = None if anchor.applying is not None else anchor.content
        anchor = replace(anchor, seq=None, applying=None, content=content)
    return covered_append(connection, now, kind, subject, material, anchor)


def empty_file(connection: Connection) -> tuple[int, Anchor]:
    """Delete every booking row and the file's position (both files, one transaction), so that the
    next sync downloads everything from nothing. Returns the rows deleted and the anchor that
    follows (the caller's entry covers it)."""
    raw = driver(connection)
    removed = raw.execute(f"DELETE FROM {_BOOKINGS}").rowcount or 0
    anchor = read_anchor(connection)
    if raw.execute(f"SELECT id FROM {_STATE} WHERE id = 1").fetchone() is None:
        raw.execute(f"INSERT INTO {_STATE} (id) VALUES (1)")
    raw.execute(
        f"UPDATE {_STATE} SET cursor = NULL, data_as_of = NULL, pending_audit = NULL, content_digest = ?,"
        " import_generation = ? WHERE id = 1",
        (str(Content()), max(anchor.generation, read_file_state(connection).generation)),
    )
    return max(removed, 0), replace(anchor, seq=None, content=str(Content()), applying=None)


def note_wrong(
    connection: Connection,
    now: dt.datetime,
    file_name: str,
    late: Behind,
    *,
    enrolled: bool,
    entry: tuple[str, str, str] | None = None,
) -> bool:
    """The entry `feed.rolled_back` (or `entry`: kind, subject, material, for a file just made anew,
    `feed.lost`) for a wrong file not reported for this reason yet; an enrolled kiosk's file is
    emptied for the next sync. True: reported now."""
    noted = settings.get(connection, NOTED_KEY)
    if isinstance(noted, dict) and noted.get("reason") == str(late):
        return False
    file, anchor = read_file_state(connection), read_anchor(connection)
    settings.put(
        connection, NOTED_KEY, {"at": to_text(now), "reason": str(late), "repair": "sync" if enrolled else "import"}
    )
    if enrolled:
        anchor = empty_file(connection)[1]
    if entry is None:
        material = audit.canonical_digest({"file": file.to_json(), "behind": str(late)})
        entry = (ROLLED_BACK_KIND, f"file:{file_name}", material)
    covered_append(connection, now, *entry, anchor)
    return True


def reported(connection: Connection) -> Behind | None:
    """The wrong file reported and not yet repaired (NOTED_KEY), as said then."""
    noted = settings.get(connection, NOTED_KEY)
    if not isinstance(noted, dict):
        return None if noted is None else Behind("", "", "the booking file was found wrong")
    reason = noted.get("reason")
    repairing = " (emptied: the next sync downloads every booking again)" if noted.get("repair") == "sync" else ""
    return Behind("", "", f"{reason if isinstance(reason, str) else 'the booking file was found wrong'}{repairing}")


def recover_cut_page(connection: Connection, now: dt.datetime) -> int | None:
    """A page whose process is gone (its intent left in the anchor): its rows cannot be checked, so
    the file is emptied and downloaded again, with an entry `sync.reset` (no alarm: a crash or a
    power cut). Returns the rows deleted, None when there was no such page."""
    anchor = read_anchor(connection)
    if anchor.applying is None or not process_gone(anchor.applying):
        return None
    if chain_problem(connection, anchor) is not None:
        return None  # an edited anchor is reported as such, not taken for a crash
    removed, emptied = empty_file(connection)
    reason = "a page was being applied when the kiosk stopped: its rows cannot be checked; downloading them again"
    covered_append(connection, now, "sync.reset", "feed", audit.canonical_digest({"reason": reason}), emptied)
    return removed
