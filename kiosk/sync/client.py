"""The sync client: enrol once, then at each sync upload the outbox first and download the feed.

Order matters: events go up before bookings come down, so the server's view of who has entered is as
complete as it can be before anything else happens. Every error ends the attempt with nothing half
applied (a page and its cursor are one transaction), and the next attempt starts where the last
committed page left off: a first sync interrupted after page 30 of 50 resumes at page 31.

The client holds the HTTP conversation (enrolment, the requests and their answers, revocation) and the
download of the booking feed; the upload's batches are kiosk/sync/upload.py, the kiosk's health that
each carries kiosk/sync/health.py, and how an attempt fails kiosk/sync/errors.py.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from kiosk.domain.clock import WallClock, utc_now
from kiosk.protocol.keys import Keyring
from kiosk.protocol.schema import EnrolRequest, EnrolResponse, RevokedBody
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
from kiosk.sync import apply, enrolment, state
from kiosk.sync.errors import (
    InvalidRequestError,
    KioskRevokedError,
    NotEnrolledError,
    ResponseRefusedError,
    SyncError,
    TransientError,
    UnauthorisedError,
)
from kiosk.sync.health import HealthReport
from kiosk.sync.state import Enrolment
from kiosk.sync.upload import Post, Upload

#: The client's names (the errors are kiosk/sync/errors.py's, here too for those who sync).
__all__ = [
    "FIRST_SYNC_PAGE_LIMIT",
    "STEADY_PAGE_LIMIT",
    "KioskRevokedError",
    "NotEnrolledError",
    "ResponseRefusedError",
    "SyncClient",
    "SyncError",
    "SyncResult",
    "TransientError",
    "UnauthorisedError",
    "enrol",
]

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
        self._health = HealthReport(store, clock)
        self._upload = Upload(store, self._health, clock=clock, batch=upload_batch, progress=self._progress)
        self._transport = transport
        self._clock = clock
        self._timeout = timeout_s
        self._page_limit = page_limit
        self._steady_page_limit = min(steady_page_limit, page_limit)
        self._http: httpx.Client | None = None
        self._base_url = ""

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
        self._health.told = health
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
                post = self._poster(http, ring, enrolled)
                uploaded, refused, unsendable, alert = self._upload.run(post)
                pages, bookings, tombstones, offset, max_lock_ms = self._download(http, ring, enrolled)
                if pages:  # the pages' own audit entries (and scans meanwhile) anchored now, not next time
                    more, more_refused, more_unsendable, more_alert = self._upload.run(post)
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
        params: dict[str, Any] = {"limit": limit, **apply.directory_query(self.store)}
        if cursor is not None:
            params["since"] = cursor
        sent_at = self._clock()
        response = self._send(http, "GET", f"{API_PREFIX}/bookings", ring, enrolled, params=params)
        return _Fetched(sent_at, self._clock(), response)

    # --- HTTP ---------------------------------------------------------------------------------------

    def _poster(self, http: httpx.Client, ring: Keyring, enrolled: Enrolment) -> Post:
        """How the upload sends a body: POST /events in this conversation."""

        def post(content: str) -> httpx.Response:
            return self._send(http, "POST", f"{API_PREFIX}/events", ring, enrolled, content=content)

        return post

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
            raise InvalidRequestError(f"server answered 422: {_detail(response)}")
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
