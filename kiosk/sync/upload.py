"""The upload half of a sync: the pending outbox and the audit entries the server has not anchored, in
batches (`EventBatch`), each with the kiosk's health (kiosk/sync/health.py).

Each batch's answer marks its events delivered or refused for good (kiosk/sync/outbox.py) and brings
the server's signed receipts for the audit entries (kiosk/sync/anchoring.py). A row that can never be
sent is marked refused on the way, so a bad row neither blocks nor shrinks the batches. The HTTP
conversation itself is the client's (kiosk/sync/client.py): the upload gets a `post` that sends a body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from pydantic import ValidationError

from kiosk.domain.clock import WallClock
from kiosk.protocol.schema import MAX_AUDIT_ENTRIES_PER_BATCH, EventBatch, EventBatchResult, WireEvent
from kiosk.store.db import KioskStore
from kiosk.sync import anchoring, outbox, state, vouched
from kiosk.sync.errors import InvalidRequestError, ResponseRefusedError, SyncError
from kiosk.sync.health import HealthReport

log = logging.getLogger(__name__)

#: Audit entries per upload (the protocol allows MAX_AUDIT_ENTRIES_PER_BATCH).
AUDIT_BATCH = MAX_AUDIT_ENTRIES_PER_BATCH

#: Sends an upload's JSON to the server and returns its answer (200), or raises a SyncError.
Post = Callable[[str], httpx.Response]


class Upload:
    """One client's uploads. `batch`: events per upload; `progress` is called after each batch."""

    def __init__(
        self, store: KioskStore, health: HealthReport, *, clock: WallClock, batch: int, progress: Callable[[], None]
    ) -> None:
        self.store = store
        self.health = health
        self._clock = clock
        self._batch = batch
        self._progress = progress

    def run(self, post: Post) -> tuple[int, int, int, str]:
        """Send the pending outbox and the audit entries the server has not anchored, in batches; keep
        the server's signed receipts (kiosk/sync/anchoring.py). Returns the events delivered, the rows
        refused for good now (by the server, or because they can never be sent), of those the ones that
        can never be sent, and the server's audit alert ("" when none)."""
        uploaded = refused = unsendable = 0
        alert = ""
        walk = anchoring.Walk.begin(self.store)
        head = anchoring.reportable_head(self.store)
        rounds = self.store.decisions.outbox_size() // self._batch + head.seq // AUDIT_BATCH + 6
        for _ in range(rounds):
            events, marked = self._next_batch()
            refused += marked
            unsendable += marked
            with self.store.reading() as connection:
                cursor = state.cursor(connection)
            head = anchoring.reportable_head(self.store)
            entries = walk.entries(head.seq)
            body = EventBatch(
                events=events,
                audit_head=head,
                outbox_pending=max(self.store.decisions.outbox_size() - len(events), 0),
                cursor=cursor,
                audit_entries=entries,
                health=self.health.for_upload(head.seq),
            )
            answer = self._send_batch(post, body)
            sent = {e.event_uuid for e in events}
            delivered = [
                r.event_uuid for r in answer.results if r.status in ("stored", "duplicate") and r.event_uuid in sent
            ]
            refusals = [
                (r.event_uuid, r.detail) for r in answer.results if r.status == "conflict" and r.event_uuid in sent
            ]
            answered = set(delivered) | {uuid for uuid, _ in refusals}
            if answered != sent:
                raise ResponseRefusedError("the server did not answer for every event sent")
            refused += outbox.outbox_done(self.store, delivered, refusals, self._clock())
            uploaded += len(delivered)
            self._progress()
            if answer.audit == "alert":
                alert = answer.audit_detail
                log.error("the server flags this kiosk's audit chain: %s", alert)
            walk.after(answer, entries, head.seq, self._clock())
            if len(events) < self._batch and walk.done:
                break
        return uploaded, refused, unsendable, alert

    def _send_batch(self, post: Post, body: EventBatch) -> EventBatchResult:
        uuids = [e.event_uuid for e in body.events]
        try:
            try:
                response = post(_upload_text(body))
            except InvalidRequestError as exc:
                if body.health is None or "health" not in str(exc):
                    raise
                # a server older than the health (or a field of it) refuses the whole upload for it
                log.warning("the server does not take this kiosk's health (%s); uploading without it", exc)
                self.health.refused()
                response = post(_upload_text(body.model_copy(update={"health": None})))
            return EventBatchResult.model_validate_json(response.content)
        except ValidationError as exc:
            outbox.outbox_failed(self.store, uuids, "bad answer from the server")
            raise ResponseRefusedError(f"upload answer does not match the protocol: {str(exc)[:200]}") from exc
        except SyncError as exc:
            outbox.outbox_failed(self.store, uuids, str(exc))
            raise

    def _next_batch(self) -> tuple[list[WireEvent], int]:
        """The oldest pending events, up to a batch. A row that can never be sent (its stored body fails
        the wire model, or the audit chain does not vouch for it: kiosk/sync/vouched.py) is marked
        refused on the way, with its audit entry, and the batch is read again without it, so a bad row
        neither blocks nor shrinks the batches. Returns the events and the rows marked refused."""
        marked = 0
        seen: set[str] = set()
        while True:
            batch = outbox.outbox_batch(self.store, self._batch)
            bad = [(item.event_uuid, item.problem) for item in batch if item.event is None]
            bad += vouched.unvouched(self.store, [item.event_uuid for item in batch if item.event is not None])
            new = [(uuid, problem) for uuid, problem in bad if uuid not in seen]
            if not new:  # (`seen`: a row whose marking did not take is not tried twice in one sync)
                return [item.event for item in batch if item.event is not None], marked
            seen.update(uuid for uuid, _ in new)
            marked += outbox.outbox_refused(self.store, new, self._clock())


def _upload_text(body: EventBatch) -> str:
    """The upload's JSON; without a health, no `health` key at all: a server older than the field
    refuses even `"health": null`."""
    return body.model_dump_json(exclude={"health"} if body.health is None else None)
