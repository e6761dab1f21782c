"""The sync client: enrol once, then at each sync upload the outbox first and download the feed.

Order matters: events go up before bookings come down, so the server's view of who has entered is as
complete as it can be before anything else happens. Every error ends the attempt with nothing half
applied (a page and its cursor are one transaction), and the next attempt starts where the last
committed page left off: a first sync interrupted after page 30 of 50 resumes at page 31.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

import kiosk
from kiosk.domain.clock import WallClock, utc_now
from kiosk.protocol.keys import Keyring
from kiosk.protocol.schema import (
    MAX_AUDIT_ENTRIES_PER_BATCH,
    EnrolRequest,
    EnrolResponse,
    EventBatch,
    EventBatchResult,
    KioskHealth,
    RevokedBody,
    WireEvent,
)
from kiosk.protocol.wire import (
    API_PREFIX,
    AUTHORIZATION,
    KNOWN_KEYS_HEADER,
    ProtocolError,
    keyring_of,
    verify_notice,
    verify_page,
)
from kiosk.store.db import KioskStore
from kiosk.store.times import to_text
from kiosk.sync import anchoring, apply, enrolment, outbox, state, vouched
from kiosk.sync.state import Enrolment

log = logging.getLogger(__name__)

#: Bookings per page until the data is complete (a first sync). Each page costs a round trip, a
#: signature made and checked, three transactions and an audit entry whatever its size: measured with
#: the reference server on the same 2 CPUs (tests/bench/bench_sync.py), 100,000 bookings took 9.3-9.7 s
#: in pages of 500, 7.6 s in pages of 1,000 and 6.8 s in pages of 2,000 (the server's own default),
#: with the scans' p95 as when idle. Pages were kept to 500 while the sync ran in the kiosk's process
#: (parsing one holds the GIL, some 2.5 ms per 500 bookings); in its own process it takes nothing from
#: the scans.
FIRST_SYNC_PAGE_LIMIT = 2000
#: Bookings per page once the data is complete: small pages, short transactions, a prompt cursor.
STEADY_PAGE_LIMIT = 250
#: Audit entries per upload (the protocol allows MAX_AUDIT_ENTRIES_PER_BATCH).
AUDIT_BATCH = MAX_AUDIT_ENTRIES_PER_BATCH
#: After a server refused the kiosk's health (a server older than it), uploads go without it for this
#: long, then try it again (the server may have been updated meanwhile).
HEALTH_REFUSED_PAUSE_S = 3600.0


class SyncError(Exception):
    """A sync attempt failed; nothing half-done was kept. `retry_after_s` from the server, if it said."""

    retry_after_s: float | None = None


class TransientError(SyncError):
    """Network trouble, a timeout, 5xx or 429: try again later."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ResponseRefusedError(SyncError):
    """The server's answer broke the protocol (bad signature, wrong office, cursor backwards...)."""


class NotEnrolledError(SyncError):
    pass


class UnauthorisedError(SyncError):
    pass


class KioskRevokedError(SyncError):
    pass


@dataclass(frozen=True, slots=True)
class SyncResult:
    uploaded: int = 0
    #: Outbox rows refused for good in this sync, marked and kept for the IT person (never sent again):
    #: those the server refused (`conflict`) and those that can never be sent (`unsendable`).
    refused: int = 0
    #: Of `refused`, the rows whose stored body fails the wire model (see kiosk/sync/apply.py).
    unsendable: int = 0
    pages: int = 0
    bookings: int = 0
    tombstones: int = 0
    complete: bool = False
    server_offset_s: float | None = None
    audit_alert: str = ""
    #: The longest time one transaction of the download held the kiosk database's write lock, in ms.
    max_lock_ms: float = 0.0


def enrol(
    store: KioskStore,
    server_url: str,
    token: str,
    gate: str,
    label: str = "",
    *,
    transport: httpx.BaseTransport | None = None,
    clock: WallClock = utc_now,
    timeout_s: float = 10.0,
) -> Enrolment:
    """Enrol this kiosk with a one-time token; pins the server's keys it receives (over TLS)."""
    server_url = server_url.rstrip("/")
    request = EnrolRequest(token=token, gate=gate, label=label)
    try:
        with httpx.Client(base_url=server_url, transport=transport, timeout=timeout_s) as http:
            response = http.post(
                f"{API_PREFIX}/enrol",
                content=request.model_dump_json(),
                headers={"Content-Type": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise TransientError(f"cannot reach {server_url}: {exc}") from exc
    if response.status_code != 200:
        raise SyncError(f"enrolment refused ({response.status_code}): {_detail(response)}")
    try:
        answer = EnrolResponse.model_validate_json(response.content)
        ring = keyring_of(answer.keys)
    except (ValidationError, ValueError) as exc:
        raise ResponseRefusedError(f"enrolment answer does not match the protocol: {exc}") from exc
    if not len(ring):
        raise ResponseRefusedError("the server sent no keys to pin")
    now = clock()
    enrolled = Enrolment(server_url, answer.kiosk_id, answer.office.office_code, to_text(now))
    enrolment.save_enrolment(store, enrolled, answer.device_token, ring, answer.office.rules, gate, now)
    return enrolled


class SyncClient:
    """One kiosk's sync. Not thread-safe: one thread (the sync worker) owns it."""

    def __init__(
        self,
        store: KioskStore,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: WallClock = utc_now,
        timeout_s: float = 10.0,
        page_limit: int = FIRST_SYNC_PAGE_LIMIT,
        steady_page_limit: int = STEADY_PAGE_LIMIT,
        upload_batch: int = 200,
        progress: Callable[[], None] | None = None,
    ) -> None:
        """`progress` is called after each batch uploaded and each page applied (the sync process's
        sign of life, see kiosk/sync/process.py)."""
        self.store = store
        self._progress = progress or _nothing
        self._transport = transport
        self._clock = clock
        self._timeout = timeout_s
        self._page_limit = page_limit
        self._steady_page_limit = min(steady_page_limit, page_limit)
        self._upload_batch = upload_batch
        self._http: httpx.Client | None = None
        self._base_url = ""
        self._health_refused_at: float | None = None
        self._kiosk_health: Mapping[str, Any] | None = None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def status(self) -> state.SyncStatus:
        return state.status(self.store)

    # --- one sync -----------------------------------------------------------------------------------

    def sync_once(self, health: Mapping[str, Any] | None = None) -> SyncResult:
        """Upload the outbox, then download the feed to its end. Raises SyncError on any failure.

        `health`: what the kiosk's process knows of its own health (its camera, decoder, relay, faults,
        uptime; kiosk/workers/health.py); every upload carries it with what the store knows (data age,
        clock offset, free disk, unanchored audit entries, outbox), as `EventBatch.health`."""
        started = self._clock()
        self._kiosk_health = health
        with self.store.reading() as connection:
            enrolled = state.enrolment(connection)
            token = state.token(connection)
            ring = state.keyring(connection)
        if enrolled is None:
            raise NotEnrolledError("this kiosk is not enrolled with a server")
        if enrolled.revoked_at is not None or token is None:
            raise KioskRevokedError("this kiosk was revoked; enrol it again")
        http = self._client(enrolled.server_url, token)
        try:
            try:
                uploaded, refused, unsendable, alert = self._upload(http, ring, enrolled)
                pages, bookings, tombstones, offset, max_lock_ms = self._download(http, ring, enrolled)
                if pages:  # the pages' own audit entries (and scans meanwhile) anchored now, not next time
                    more, more_refused, more_unsendable, more_alert = self._upload(http, ring, enrolled)
                    uploaded, refused = uploaded + more, refused + more_refused
                    unsendable, alert = unsendable + more_unsendable, alert or more_alert
                if alert:
                    self.store.audit.note_server_alert(alert, self._clock())
            except _RevocationError as notice:
                self._revoked(notice.response, ring, enrolled)  # raises
                raise
        except SyncError as exc:
            self.store.settings.set_sync_state(
                last_attempt_at=to_text(started), last_error=str(exc)[:300], durable=False
            )
            raise
        self.store.settings.set_sync_state(last_attempt_at=to_text(started), last_error=None, durable=False)
        return SyncResult(uploaded, refused, unsendable, pages, bookings, tombstones, True, offset, alert, max_lock_ms)

    # --- upload -------------------------------------------------------------------------------------

    def _upload(self, http: httpx.Client, ring: Keyring, enrolled: Enrolment) -> tuple[int, int, int, str]:
        """Send the pending outbox and the audit entries the server has not anchored, in batches; keep
        the server's signed receipts (kiosk/sync/anchoring.py). Returns the events delivered, the rows
        refused for good now (by the server, or because they can never be sent), of those the ones that
        can never be sent, and the server's audit alert ("" when none)."""
        uploaded = refused = unsendable = 0
        alert = ""
        walk = anchoring.Walk.begin(self.store)
        head = anchoring.reportable_head(self.store)
        rounds = self.store.decisions.outbox_size() // self._upload_batch + head.seq // AUDIT_BATCH + 6
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
                health=self._health(head.seq),
            )
            answer = self._send_batch(http, ring, enrolled, body)
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
            if len(events) < self._upload_batch and walk.done:
                break
        return uploaded, refused, unsendable, alert

    def _send_batch(self, http: httpx.Client, ring: Keyring, enrolled: Enrolment, body: EventBatch) -> EventBatchResult:
        uuids = [e.event_uuid for e in body.events]
        try:
            try:
                response = self._send(http, "POST", f"{API_PREFIX}/events", ring, enrolled, content=_upload_text(body))
            except _InvalidRequestError as exc:
                if body.health is None or "health" not in str(exc):
                    raise
                # a server older than the health (or a field of it) refuses the whole upload for it
                log.warning("the server does not take this kiosk's health (%s); uploading without it", exc)
                self._health_refused_at = time.monotonic()
                without = _upload_text(body.model_copy(update={"health": None}))
                response = self._send(http, "POST", f"{API_PREFIX}/events", ring, enrolled, content=without)
            return EventBatchResult.model_validate_json(response.content)
        except ValidationError as exc:
            outbox.outbox_failed(self.store, uuids, "bad answer from the server")
            raise ResponseRefusedError(f"upload answer does not match the protocol: {str(exc)[:200]}") from exc
        except SyncError as exc:
            outbox.outbox_failed(self.store, uuids, str(exc))
            raise

    def _health(self, head_seq: int) -> KioskHealth | None:
        """The kiosk's health for an upload: what its process said, with what the store knows now. None
        while the server refuses it (HEALTH_REFUSED_PAUSE_S)."""
        refused_at = self._health_refused_at
        if refused_at is not None and time.monotonic() - refused_at < HEALTH_REFUSED_PAUSE_S:
            return None
        status = state.status(self.store)
        age = status.data_age(self._clock())
        known: dict[str, Any] = {
            "version": kiosk.__version__,
            "data_age_s": None if age is None else _clamp(int(age.total_seconds()), 2**31 - 1),
            "clock_offset_s": None if status.server_offset_s is None else _clamp(status.server_offset_s, 1e9),
            "free_disk_bytes": _free_disk(self.store.path.parent),
            "unanchored_audit": max(head_seq - (anchoring.start(self.store) or 0), 0),
            "outbox_pending": min(status.outbox_pending, 2**31 - 1),
            "outbox_refused": min(status.outbox_refused, 2**31 - 1),
        }
        told = _from_kiosk(self._kiosk_health or {})
        try:
            return KioskHealth.model_validate({**told, **known, "version": told.get("version") or known["version"]})
        except ValidationError as exc:  # the kiosk's own part is off: send what the store knows
            log.warning("the kiosk's health does not fit the protocol (%s); sending the store's part", exc)
            return KioskHealth.model_validate(known)

    def _next_batch(self) -> tuple[list[WireEvent], int]:
        """The oldest pending events, up to a batch. A row that can never be sent (its stored body fails
        the wire model, or the audit chain does not vouch for it: kiosk/sync/vouched.py) is marked
        refused on the way, with its audit entry, and the batch is read again without it, so a bad row
        neither blocks nor shrinks the batches. Returns the events and the rows marked refused."""
        marked = 0
        seen: set[str] = set()
        while True:
            batch = outbox.outbox_batch(self.store, self._upload_batch)
            bad = [(item.event_uuid, item.problem) for item in batch if item.event is None]
            bad += vouched.unvouched(self.store, [item.event_uuid for item in batch if item.event is not None])
            new = [(uuid, problem) for uuid, problem in bad if uuid not in seen]
            if not new:  # (`seen`: a row whose marking did not take is not tried twice in one sync)
                return [item.event for item in batch if item.event is not None], marked
            seen.update(uuid for uuid, _ in new)
            marked += outbox.outbox_refused(self.store, new, self._clock())

    # --- download -----------------------------------------------------------------------------------

    def _download(
        self, http: httpx.Client, ring: Keyring, enrolled: Enrolment
    ) -> tuple[int, int, int, float | None, float]:
        """Fetch and apply pages to the end of the feed. While one page is being applied the next is
        already on its way (one request ahead, on a helper thread that ends with the download)."""
        pages = bookings = tombstones = 0
        max_lock_ms = 0.0
        offset: float | None = None
        resets = 0
        ahead: tuple[str, Future[_Fetched]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch") as pool:
            while True:
                with self.store.reading() as connection:
                    cursor = state.cursor(connection)
                    complete = state.data_complete(connection)
                # Bigger pages until the data is complete (a first sync: fewer round trips), smaller
                # ones after (see FIRST_SYNC_PAGE_LIMIT).
                limit = self._steady_page_limit if complete else self._page_limit
                try:
                    if ahead is not None and ahead[0] == cursor:
                        fetched = ahead[1].result()
                    else:
                        fetched = self._fetch(http, ring, enrolled, cursor, limit)
                except _CursorResetError as exc:
                    resets += 1
                    if resets > 1:
                        raise ResponseRefusedError("the server keeps refusing the feed cursor") from exc
                    log.warning("the server reset the feed (%s); downloading everything again", exc)
                    apply.reset_cursor(self.store, self._clock(), str(exc))
                    ahead = None
                    continue
                ahead = None
                self.store.yield_to_scans()
                try:
                    page = verify_page(ring, fetched.response.headers, fetched.response.content)
                    apply.check_page(page, cursor, enrolled)
                except ProtocolError as exc:
                    raise ResponseRefusedError(str(exc)) from exc
                if page.has_more:
                    following = keyring_of(page.keys)
                    ahead = (page.cursor, pool.submit(self._fetch, http, following, enrolled, page.cursor, limit))
                midpoint = fetched.sent_at + (fetched.received_at - fetched.sent_at) / 2
                offset = (page.server_time - midpoint).total_seconds()
                try:
                    applied = apply.apply_page(
                        self.store,
                        page,
                        cursor,
                        fetched.sent_at,
                        fetched.received_at,
                        offset,
                        rows_per_transaction=(
                            apply.ROWS_PER_TRANSACTION if complete else apply.FIRST_SYNC_ROWS_PER_TRANSACTION
                        ),
                    )
                except ProtocolError as exc:
                    raise ResponseRefusedError(str(exc)) from exc
                ring = keyring_of(page.keys)
                pages += 1
                bookings += len(page.bookings)
                tombstones += applied.tombstones
                max_lock_ms = max(max_lock_ms, applied.lock_ms)
                self._progress()
                if applied.complete:
                    return pages, bookings, tombstones, offset, max_lock_ms

    def _fetch(
        self, http: httpx.Client, ring: Keyring, enrolled: Enrolment, cursor: str | None, limit: int
    ) -> _Fetched:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["since"] = cursor
        sent_at = self._clock()
        response = self._send(http, "GET", f"{API_PREFIX}/bookings", ring, enrolled, params=params)
        return _Fetched(sent_at, self._clock(), response)

    # --- HTTP ---------------------------------------------------------------------------------------

    def _client(self, server_url: str, token: str) -> httpx.Client:
        if self._http is None or self._base_url != server_url:
            self.close()
            self._http = httpx.Client(
                base_url=server_url,
                transport=self._transport,
                timeout=self._timeout,
                headers={AUTHORIZATION: f"Bearer {token}", "Content-Type": "application/json"},
            )
            self._base_url = server_url
        return self._http

    def _send(
        self, http: httpx.Client, method: str, path: str, ring: Keyring, enrolled: Enrolment, **kwargs: Any
    ) -> httpx.Response:
        headers = {KNOWN_KEYS_HEADER: ",".join(ring.key_ids)}
        try:
            response = http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"the server did not answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"cannot reach the server: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 200:
            return response
        if status == 403:
            raise _RevocationError(response)
        if status == 401:
            raise UnauthorisedError(f"the server does not accept this kiosk's token: {_detail(response)}")
        if status == 410:
            raise _CursorResetError(_detail(response))
        if status == 422:
            raise _InvalidRequestError(f"server answered 422: {_detail(response)}")
        if status == 429 or status >= 500:
            raise TransientError(f"server answered {status}", _retry_after(response))
        raise SyncError(f"server answered {status}: {_detail(response)}")

    def _revoked(self, response: httpx.Response, ring: Keyring, enrolled: Enrolment) -> None:
        try:
            body = RevokedBody.model_validate_json(response.content)
        except ValidationError as exc:
            raise SyncError("server answered 403 without a valid revocation notice") from exc
        notice = verify_notice(ring, body.key_id, body.notice, body.signature)
        if notice is None or notice.get("kiosk_id") != enrolled.kiosk_id:
            raise ResponseRefusedError("a revocation notice that does not verify was ignored")
        enrolment.wipe(self.store, self._clock(), notice.get("revoked_at", ""))
        raise KioskRevokedError("the server revoked this kiosk; its personal data was wiped")


class _CursorResetError(SyncError):
    pass


class _InvalidRequestError(SyncError):
    """A 422: the server refused the request's body (a bug, or a server older than a field of it)."""


class _RevocationError(SyncError):
    """A 403: handled on the sync's own thread (never the prefetch helper), see _revoked()."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__("the server answered 403")
        self.response = response


@dataclass(frozen=True, slots=True)
class _Fetched:
    sent_at: dt.datetime
    received_at: dt.datetime
    response: httpx.Response


def _nothing() -> None:
    pass


def _upload_text(body: EventBatch) -> str:
    """The upload's JSON; without a health, no `health` key at all: a server older than the field
    refuses even `"health": null`."""
    return body.model_dump_json(exclude={"health"} if body.health is None else None)


#: What the kiosk's process may tell about its health (kiosk/workers/health.py), with each text's limit.
_KIOSK_TEXTS = {"camera": 120, "decoder": 40, "relay": 120, "relay_fault": 120, "version": 40}
_KIOSK_FLAGS = ("camera_ok", "decoder_process")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]+")


def _from_kiosk(told: Mapping[str, Any]) -> dict[str, Any]:
    """The kiosk process's part of the health, cut to the protocol's bounds (a fault text may be long,
    or hold a line break); anything else it said is left out."""
    fields: dict[str, Any] = {}
    for name, limit in _KIOSK_TEXTS.items():
        value = told.get(name)
        if isinstance(value, str):
            fields[name] = _UNPRINTABLE.sub(" ", value).strip()[:limit]
    for name in _KIOSK_FLAGS:
        value = told.get(name)
        if isinstance(value, bool):
            fields[name] = value
    uptime = told.get("uptime_s")
    if isinstance(uptime, int | float) and not isinstance(uptime, bool) and uptime >= 0:
        fields["uptime_s"] = min(int(uptime), 2**31 - 1)
    relay_state = told.get("relay_state")
    if isinstance(relay_state, str) and re.fullmatch(r"[a-z_]{1,16}", relay_state):
        fields["relay_state"] = relay_state
    faults = told.get("faults")
    if isinstance(faults, list | tuple | set | frozenset):
        named = sorted({str(f) for f in faults if re.fullmatch(r"[a-z_]{1,16}", str(f))})
        fields["faults"] = named[:8]
    return fields


def _free_disk(folder: Any) -> int | None:
    try:
        return int(shutil.disk_usage(folder).free)
    except OSError:
        return None


def _clamp(value: Any, limit: Any) -> Any:
    return max(-limit, min(limit, value))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - utc_now()).total_seconds(), 0.0)


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        return str(data.get("detail") or data.get("error") or "")[:300]
    return str(data)[:200]
