"""What the booking file is, as values: the content digest of its rows (kept up to date row by row),
the anchor (how far the database file has seen the booking file go) and the file's own position, the
pure comparison of the two, and which process applies a page.

Its own module beside kiosk/store/feed_anchor.py, which keeps these values in the database and moves
them with the audit entries that cover them (the why of it all is in that module's docstring): these
are the values and rules that need no audit chain, used by the booking rows (bookings.py), the sync
(kiosk/sync/apply.py) and every scan (behind())."""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from kiosk.store import audit
from kiosk.store.engine import driver
from kiosk.store.schema import BookingRow, SyncStateRow

#: The anchor of a database from before anchors, as migration 0007 marks it: adopted at the next open.
ADOPT = {"adopt": True}
STATE_TABLE = SyncStateRow.__tablename__
_BOOKINGS = BookingRow.__tablename__
_MODULUS = 2**256
#: This process, in the intents of the pages it applies (see process_gone()).
_PROCESS = secrets.token_hex(8)


# --- the content ----------------------------------------------------------------------------------


def term(row_mac: bytes) -> int:
    """A row's share of the content digest."""
    return int.from_bytes(hashlib.sha256(row_mac).digest(), "big")


@dataclass(frozen=True, slots=True)
class Content:
    """The booking rows as a whole: how many, and the sum of sha256(seal) modulo 2**256 (so that it is
    kept up to date row by row, in any order)."""

    rows: int = 0
    total: int = 0

    def __str__(self) -> str:
        return f"{self.rows}:{self.total:064x}"

    def short(self) -> str:
        return f"{self.rows} row(s), digest {self.total:064x}"[:40]

    @classmethod
    def parse(cls, text: Any) -> Content | None:
        """None for None; ValueError for anything str() does not write."""
        if text is None:
            return None
        if not isinstance(text, str):
            raise ValueError("a content digest is not text")
        rows, _, total = text.partition(":")
        if len(total) != 64:
            raise ValueError(f"unreadable content digest {text[:80]!r}")
        return cls(int(rows), int(total, 16))

    def changed(self, added: Sequence[bytes] = (), removed: Sequence[bytes] = ()) -> Content:
        total = self.total + sum(term(mac) for mac in added) - sum(term(mac) for mac in removed)
        return Content(self.rows + len(added) - len(removed), total % _MODULUS)

    def shifted(self, before: Content, after: Content) -> Content:
        """This content changed as `before` became `after`."""
        return Content(self.rows + after.rows - before.rows, (self.total + after.total - before.total) % _MODULUS)


def recompute(connection: Connection) -> Content:
    """The content of the rows as they are (reads every row's seal: see the README's figures)."""
    rows = total = 0
    sha = hashlib.sha256
    cursor = driver(connection).execute(f"SELECT row_mac FROM {_BOOKINGS}")
    while batch := cursor.fetchmany(10_000):
        rows += len(batch)
        total += sum(int.from_bytes(sha(mac).digest(), "big") for (mac,) in batch)
    return Content(rows, total % _MODULUS)


def file_content(connection: Connection) -> Content | None:
    """The content the booking file's sync_state says its rows have (None: not recorded)."""
    row = driver(connection).execute(f"SELECT content_digest FROM {STATE_TABLE} WHERE id = 1").fetchone()
    try:
        return None if row is None else Content.parse(row[0])
    except ValueError:
        return None


def change_content(connection: Connection, added: Sequence[bytes], removed: Sequence[bytes]) -> None:
    """In the transaction that changes the rows (booking file, attached or alone): the file's content
    digest, moved by the seals of the rows added and removed (a replaced row is both)."""
    if not added and not removed:
        return
    raw = driver(connection)
    try:
        row = raw.execute(f"SELECT content_digest FROM {STATE_TABLE} WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return  # a schema older than the content digest (a migration's own rows): counted at open
    if row is None:  # a new file (opening writes the row: an empty file has no rows)
        first = Content().changed(added, removed)
        raw.execute(f"INSERT INTO {STATE_TABLE} (id, content_digest) VALUES (1, ?)", (str(first),))
        return
    try:
        base = Content.parse(row[0])
    except ValueError:
        return  # left unreadable: the check at open reports it
    if base is not None:  # None: not recorded yet (written at the next open)
        raw.execute(f"UPDATE {STATE_TABLE} SET content_digest = ? WHERE id = 1", (str(base.changed(added, removed)),))


def set_file_content(connection: Connection, content: Content) -> None:
    raw = driver(connection)
    if raw.execute(f"SELECT id FROM {STATE_TABLE} WHERE id = 1").fetchone() is None:
        raw.execute(f"INSERT INTO {STATE_TABLE} (id, content_digest) VALUES (1, ?)", (str(content),))
    else:
        raw.execute(f"UPDATE {STATE_TABLE} SET content_digest = ? WHERE id = 1", (str(content),))


# --- the anchor -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applying:
    """A page being applied: from cursor `since` to `cursor`, by process `pid` (`mark`: its boot and
    start time, `process`: a token of the process)."""

    since: str | None
    cursor: str
    pid: int
    mark: str | None
    process: str

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "cursor": self.cursor, "pid": self.pid, "mark": self.mark, "process": self.process}

    @classmethod
    def from_json(cls, data: Any) -> Applying | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValueError("the booking file's anchor has an unreadable page intent")
        since, cursor, pid, mark, process = (data.get(k) for k in ("since", "cursor", "pid", "mark", "process"))
        if not (since is None or isinstance(since, str)) or not isinstance(cursor, str):
            raise ValueError("the booking file's anchor has an unreadable page intent")
        if not isinstance(pid, int) or not _is_count(pid):
            raise ValueError("the booking file's anchor has an unreadable page intent")
        if not (mark is None or isinstance(mark, str)) or not isinstance(process, str):
            raise ValueError("the booking file's anchor has an unreadable page intent")
        return cls(since, cursor, pid, mark, process)


@dataclass(frozen=True, slots=True)
class Anchor:
    """How far the database file has seen the booking file go, and what it holds."""

    epoch: str | None = None
    seq: int | None = None  # None: no position to hold the file to (never synced, or reset when sound)
    retired: tuple[str, ...] = ()
    generation: int = 0
    #: str(Content) of the rows at this position (None: not anchored yet, an anchor of an older kiosk).
    content: str | None = None
    applying: Applying | None = field(default=None)

    @property
    def cursor(self) -> str | None:
        return None if self.epoch is None or self.seq is None else f"{self.epoch}.{self.seq}"

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "seq": self.seq,
            "retired": list(self.retired),
            "generation": self.generation,
            "content": self.content,
            "applying": None if self.applying is None else self.applying.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Anchor:
        """Raises ValueError for anything but what to_json() writes (a damaged or hand-edited value)."""
        if data is None or data == ADOPT:
            return cls()
        if not isinstance(data, dict):
            raise ValueError("the booking file's anchor is not a JSON object")
        epoch, seq, retired, generation = (data.get(k) for k in ("epoch", "seq", "retired", "generation"))
        if not (epoch is None or isinstance(epoch, str)) or not (seq is None or _is_count(seq)):
            raise ValueError("the booking file's anchor has an unreadable cursor")
        if not isinstance(retired, list) or not all(isinstance(e, str) for e in retired) or not _is_count(generation):
            raise ValueError("the booking file's anchor has unreadable epochs or generation")
        content = data.get("content")
        Content.parse(content)
        applying = Applying.from_json(data.get("applying"))
        return cls(epoch, seq, tuple(retired), int(generation or 0), content, applying)


@dataclass(frozen=True, slots=True)
class FileState:
    """Where the booking file says it is."""

    cursor: str | None = None
    generation: int = 0
    content: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "generation": self.generation}


@dataclass(frozen=True, slots=True)
class Behind:
    """Why the booking file is not what this database saw: what it has and what it should have at
    least (`text`: said otherwise)."""

    found: str
    expected: str
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.found}, expected at least {self.expected}"


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def split_cursor(text: str | None) -> tuple[str, int] | None:
    """(epoch, seq) of a feed cursor `<epoch>.<seq>` (kiosk.protocol.wire.CursorValue); None when
    there is none or it cannot be read."""
    if not text:
        return None
    epoch, _, seq = text.partition(".")
    if not epoch or not seq.isdigit():
        return None
    return epoch, int(seq)


# --- the comparison (pure) ------------------------------------------------------------------------


def behind(file: FileState, anchor: Anchor) -> Behind | None:
    """Why `file` is older than `anchor` (None: it is not). See the module's docstring."""
    if file.generation < anchor.generation:
        return Behind(f"import generation {file.generation}", f"generation {anchor.generation}")
    return _cursor_behind(file.cursor, anchor)


def _cursor_behind(cursor: str | None, anchor: Anchor) -> Behind | None:
    position = split_cursor(cursor)
    expected = anchor.cursor
    if position is None:
        return None if expected is None else Behind(f"cursor {cursor}" if cursor else "no cursor", f"cursor {expected}")
    epoch, seq = position
    if epoch in anchor.retired:
        return Behind(f"cursor {cursor} of an earlier feed", f"cursor {expected or anchor.epoch}")
    if expected is None or (epoch == anchor.epoch and anchor.seq is not None and seq >= anchor.seq):
        return None
    if epoch == anchor.epoch:
        return Behind(f"cursor {cursor}", f"cursor {expected}")
    return Behind(f"cursor {cursor} of a feed this database never saw", f"cursor {expected}")


def moved_to(anchor: Anchor, cursor: str) -> Anchor:
    """The anchor once a page with `cursor` is in the chain: forward only; a new epoch retires the old."""
    position = split_cursor(cursor)
    if position is None:
        return anchor
    epoch, seq = position
    if epoch in anchor.retired:
        return anchor
    if epoch == anchor.epoch:
        return replace(anchor, seq=seq if anchor.seq is None else max(anchor.seq, seq))
    retired = anchor.retired if anchor.epoch is None else (*anchor.retired, anchor.epoch)
    return replace(anchor, epoch=epoch, seq=seq, retired=retired)


def in_page(file: FileState, anchor: Anchor) -> bool:
    """The file is where a page being applied may leave it (at its start, or at its end with its
    entry not yet in the chain): its content cannot be held to the anchor's."""
    intent = anchor.applying
    return intent is not None and file.cursor in (intent.since, intent.cursor)


def anchor_digest(anchor: Anchor) -> str:
    return audit.canonical_digest(anchor.to_json())


# --- processes ------------------------------------------------------------------------------------


def _process_mark(pid: int) -> str | None:
    """The boot and the start time of process `pid` (None: not known here, or no such process)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return f"{boot}/{fields[19]}" if len(fields) > 19 else None


def new_intent(since: str | None, cursor: str) -> Applying:
    pid = os.getpid()
    return Applying(since, cursor, pid, _process_mark(pid), _PROCESS)


def process_gone(intent: Applying) -> bool:
    """The process that wrote the intent runs no longer (it crashed, or the power was cut)."""
    if intent.process == _PROCESS:
        return False
    if intent.mark is not None:
        return _process_mark(intent.pid) != intent.mark
    if intent.pid == os.getpid():
        return True
    try:
        os.kill(intent.pid, 0)
    except PermissionError:
        return False
    except OSError:
        return True
    return False
