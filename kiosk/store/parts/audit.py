"""store.audit: the audit chain as a whole: verifying it, reading it for uploads, the server's
receipts and alerts, and the audit head file beside the database.

Its own part because every writer moves the head file through here after its commit (write_anchor()),
only forward along the chain; the chain's entries themselves are kiosk/store/audit.py's and the
receipts kiosk/store/receipts.py's."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from kiosk.store import audit, receipts, settings
from kiosk.store.errors import DAMAGED_VALUE, StoreError, damaged
from kiosk.store.parts import Part
from kiosk.store.times import from_text, to_text

log = logging.getLogger(__name__)

#: The server's newest finding about this kiosk's audit chain (Audit.note_server_alert()).
SERVER_ALERT = "audit.server_alert"


class Audit(Part):
    """The audit chain, its head file and the server's receipts (store.audit)."""

    __slots__ = ()

    def verify(
        self, checked_receipts: Sequence[receipts.Receipt] = (), expect: tuple[int, str] | None = None
    ) -> audit.VerifyReport:
        """The whole chain, the head file, and `checked_receipts` (whose signatures the caller checked:
        kiosk/sync/anchoring.py) and a head printed on paper (`expect`)."""
        store = self._store
        try:
            with store.reading() as connection:
                anchor = audit.read_anchor(store.anchor_path)
                report = audit.verify(connection, anchor, checked_receipts, expect)
        except DAMAGED_VALUE as exc:
            raise damaged(store.path, exc) from exc
        if anchor is None and report.entries > 0:
            report.add(
                None,
                f"the audit head file {store.anchor_path} is missing: entries cut off at the end "
                "could not be noticed (it is written after every change; was it deleted?)",
            )
        return report

    def head(self) -> audit.Head:
        with self._store.reading() as connection:
            return audit.head(connection)

    def entries(self, start: int, until: int, limit: int) -> list[dict[str, Any]]:
        """Entries start..until, oldest first, at most `limit`: what an upload sends the server."""
        with self._store.reading() as connection:
            return receipts.entries(connection, start, until, limit)

    def hashes(self, seqs: Iterable[int]) -> dict[int, str]:
        with self._store.reading() as connection:
            return receipts.hashes(connection, seqs)

    def keep_receipt(self, receipt: receipts.Receipt, now: dt.datetime) -> None:
        """Keep a checked receipt in the table and, when it is the newest, in the file beside."""
        store = self._store
        with store.writing() as connection:
            receipts.keep(connection, receipt, now)
        try:
            receipts.write_file(store.receipt_path, receipt)
        except OSError as exc:
            log.warning("could not write the receipt file %s: %s", store.receipt_path, exc)

    def stored_receipts(self) -> tuple[list[receipts.Receipt], list[str]]:
        """Every receipt kept (table and file), newest first, unchecked; and why the file is unusable."""
        with self._store.reading() as connection:
            kept = receipts.stored(connection)
        in_file = receipts.read_file(self._store.receipt_path)
        problems = [in_file] if isinstance(in_file, str) else []
        if isinstance(in_file, receipts.Receipt) and in_file not in kept:
            kept.insert(0, in_file)
        return sorted(kept, key=lambda r: r.seq, reverse=True), problems

    def note_server_alert(self, detail: str, now: dt.datetime) -> None:
        """The server found this kiosk's audit chain altered: keep what it said for the guard's status
        panel, and an audit entry saying the kiosk was told (once per finding)."""
        finding = {"at": to_text(now), "detail": detail[:1000]}
        with self._store.writing() as connection:
            before = settings.get(connection, SERVER_ALERT)
            if isinstance(before, dict) and before.get("detail") == finding["detail"]:
                return
            settings.put(connection, SERVER_ALERT, finding)
            digest = audit.canonical_digest({"detail": finding["detail"]})
            audit.append(connection, finding["at"], "audit.server_alert", "server", digest)
        self.write_anchor()

    def server_alert(self) -> tuple[dt.datetime, str] | None:
        """The server's newest finding about this kiosk's audit chain: (when it was told, what)."""
        with self._store.reading() as connection:
            finding = settings.get(connection, SERVER_ALERT)
        if not isinstance(finding, dict) or not isinstance(finding.get("detail"), str):
            return None
        try:
            return from_text(str(finding["at"])), finding["detail"]
        except (KeyError, ValueError):
            return None

    def write_anchor(self, new: audit.Head | None = None) -> None:
        """After a commit: move the audit head file to `new` (default: the head now), only forward along
        the chain (audit.anchor_blocker: never backwards, never over the trace of a rolled-back or
        rewritten database). Every writer moves it through here. `new` must be on disk: committed with
        synchronous=FULL, or flushed since (KioskStore.checkpoint())."""
        try:
            with self._store.reading() as connection:
                if new is None:
                    new = audit.head(connection)
                blocker, overtaken = self.anchor_check(connection, new)
        except StoreError as exc:
            log.warning("could not update the audit head file %s: %s", self._store.anchor_path, exc)
            return
        self.move_anchor(new, blocker, overtaken)

    def anchor_check(self, connection: Connection, new: audit.Head) -> tuple[str | None, bool]:
        """Why the anchor file may not move to `new` (None: it may), and whether that is only another
        writer on this database (the sync, the gate) having moved it further along the same chain
        first: nothing to report then. (In the writer's transaction: move_anchor() after its commit.)"""
        current = audit.read_anchor(self._store.anchor_path)
        blocker = audit.anchor_blocker(connection, current, new)
        overtaken = (
            blocker is not None
            and current is not None
            and current.seq > new.seq
            and audit.anchor_blocker(connection, current, current) is None  # its entry is in the chain, unchanged
        )
        return blocker, overtaken

    def move_anchor(self, new: audit.Head, blocker: str | None, overtaken: bool = False) -> None:
        """Write the anchor file, unless `blocker` (from anchor_check(), read by the caller) forbids it."""
        anchor_path = self._store.anchor_path
        try:
            if blocker is not None:
                report = log.debug if overtaken else log.warning
                report("not moving the audit head file %s to entry %d: %s", anchor_path, new.seq, blocker)
                return
            audit.write_anchor(anchor_path, new)
        except OSError as exc:  # the chain is committed; a stale anchor only weakens truncation checks
            log.warning("could not update the audit head file %s: %s", anchor_path, exc)
