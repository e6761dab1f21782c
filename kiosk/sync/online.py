"""The online check: ask the server for its decision across every gate of the office, within a budget.

The door (kiosk/door) makes the event id first and asks here. If the server answers within the
budget (default 300 ms, `[online] budget_ms` in kiosk.toml), the door records the server's decision
under that id; otherwise, or if the answer is unusable, it decides from its local data under the
same id. Whatever happened at the server (nothing, or an "online" event recorded before the answer
was lost), the later upload of the kiosk's record replaces it: one event per scan, never two.

This module only asks: it never records and never builds a presentation. The request runs on a
thread of its own; the caller (the door, on the database writer thread, never the GUI thread) waits
for it at most the budget, a hard deadline whatever the server does.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from kiosk.domain.model import Decision
from kiosk.protocol.schema import AuditHead, CheckRequest, CheckResponse
from kiosk.protocol.wire import API_PREFIX, AUTHORIZATION, ProtocolError, decision_of
from kiosk.store import audit, settings
from kiosk.store.db import KioskStore
from kiosk.sync import state

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 0.3
#: How much longer than the budget close() waits for a request still out before leaving it behind.
CLOSE_GRACE_S = 0.5
#: A check answer is a few hundred bytes; anything much longer is not one.
MAX_ANSWER_BYTES = 64 * 1024

#: Why the door decided here: short, fixed phrases (shown to the guard, kept in the event's facts).
NOT_ENROLLED = "not enrolled"
REVOKED = "enrolment revoked"
TIMED_OUT = "timeout"
UNREACHABLE = "unreachable"
UNUSABLE = "unusable answer"


@dataclass(frozen=True, slots=True)
class Answer:
    """The server's decision, or why there is none; and how long asking took (None: nobody was asked)."""

    decision: Decision | None
    fallback: str = ""
    elapsed_ms: float | None = None


class OnlineCheck:
    """Asks `POST /v1/check` for one presentation, within a hard deadline.

    Each request runs on a daemon thread of its own, so the caller waits at most the budget whatever
    the server does: answers late, trickles its answer (headers or body) a byte at a time, or never
    closes. Meanwhile the caller does its own work (the door makes its local decision). While a
    request the budget gave up on is still out, the next scan does not ask at all: it is decided here
    at once ("timeout (previous check still waiting)"). `close()` waits for a request still out at
    most the budget and half a second more, then leaves its daemon thread behind (it ends when the
    server lets go: a server trickling its headers can hold it; one trickling its body is cut at the
    deadline)."""

    def __init__(
        self,
        store: KioskStore,
        *,
        budget_s: float = DEFAULT_BUDGET_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store = store
        self.budget_s = budget_s
        self._transport = transport
        self._http: httpx.Client | None = None
        self._base = ""
        self._token = ""
        self._thread: threading.Thread | None = None

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self.budget_s + CLOSE_GRACE_S)  # a request cut at its deadline ends within this
            if thread.is_alive():
                log.warning("an online check is still waiting for the server; it is left to end by itself")
                return  # its client is in use: closing it under the thread would only add noise
        if self._http is not None:
            self._http.close()
            self._http = None

    def target(self) -> tuple[str, str, str, AuditHead] | Answer:
        """Where to ask (server URL, device token, gate) with the audit head to pin there, or why not
        to ask at all."""
        with self.store.reading() as connection:
            enrolled = state.enrolment(connection)
            token = state.token(connection)
            gate = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY)).gate
            head = audit.head(connection)
        if enrolled is None:
            return Answer(None, NOT_ENROLLED)
        if token is None or enrolled.revoked_at is not None:
            return Answer(None, REVOKED)
        return enrolled.server_url, token, gate, AuditHead(seq=head.seq, hash=head.hash)

    def send(self, payload_text: str, other_codes: int, event_uuid: str, now: dt.datetime) -> Pending:
        """Start asking; `Pending.answer()` waits for the server at most until the budget runs out."""
        where = self.target()
        started = time.perf_counter()
        if isinstance(where, Answer):
            return Pending(where, started, self.budget_s)
        if self._thread is not None and self._thread.is_alive():
            return Pending(Answer(None, f"{TIMED_OUT} (previous check still waiting)", 0.0), started, self.budget_s)
        base, token, gate, head = where
        future: Future[tuple[Decision | None, str]] = Future()

        def run() -> None:
            try:
                future.set_result(
                    self._post(base, token, payload_text, other_codes, (gate, head), event_uuid, now, started)
                )
            except BaseException as exc:  # handed to the waiting scan, which decides here
                future.set_exception(exc)

        self._thread = threading.Thread(target=run, name="kiosk-online-check", daemon=True)
        self._thread.start()
        return Pending(None, started, self.budget_s, future)

    def ask(self, payload_text: str, other_codes: int, event_uuid: str, now: dt.datetime) -> Answer:
        """The server's decision for the scan `event_uuid`, or None with the reason. Never raises for
        anything the network or the server does."""
        return self.send(payload_text, other_codes, event_uuid, now).answer()

    def _post(
        self,
        base: str,
        token: str,
        text: str,
        other_codes: int,
        where: tuple[str, AuditHead],
        event_uuid: str,
        now: dt.datetime,
        started: float,
    ) -> tuple[Decision | None, str]:
        gate, head = where
        deadline = started + self.budget_s
        try:
            request = CheckRequest(
                event_uuid=event_uuid,
                payload=text.strip(" \t\r\n"),
                gate=gate,
                occurred_at=now,
                other_codes=other_codes,
                audit_head=head,
            )
            client = self._client(base, token)
            with client.stream("POST", f"{API_PREFIX}/check", content=request.model_dump_json()) as response:
                if response.status_code != 200:
                    return None, f"{UNUSABLE}: HTTP {response.status_code}"
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        return None, f"{UNUSABLE}: too long"
                    if time.perf_counter() > deadline:  # a server trickling its answer
                        return None, f"{TIMED_OUT} ({self.budget_s * 1000:.0f} ms)"
            answer = CheckResponse.model_validate_json(bytes(body))
            if answer.event_uuid != event_uuid:
                return None, f"{UNUSABLE}: for another event"
            return decision_of(answer.decision), ""
        except httpx.TimeoutException:
            return None, f"{TIMED_OUT} ({self.budget_s * 1000:.0f} ms)"
        except httpx.HTTPError as exc:
            return None, f"{UNREACHABLE} ({type(exc).__name__})"
        except (ValidationError, ProtocolError, ValueError) as exc:
            log.warning("unusable online answer (%s)", type(exc).__name__)
            return None, UNUSABLE

    def _client(self, base: str, token: str) -> httpx.Client:
        if self._http is None or self._base != base or self._token != token:
            if self._http is not None:
                self._http.close()
            budget = self.budget_s
            self._http = httpx.Client(
                base_url=base,
                transport=self._transport,
                # Each phase and each read gets the budget; the caller's wait is bounded separately
                # (Pending.answer): these only bound how long a request thread stays busy.
                timeout=httpx.Timeout(budget, connect=budget, read=budget, write=budget, pool=budget),
                headers={AUTHORIZATION: f"Bearer {token}", "Content-Type": "application/json"},
            )
            self._base, self._token = base, token
        return self._http


@dataclass(slots=True)
class Pending:
    """An online check under way (or an answer already known, when nobody was asked)."""

    known: Answer | None
    started: float
    budget_s: float
    future: Future[tuple[Decision | None, str]] | None = None

    def answer(self) -> Answer:
        if self.known is not None:
            return self.known
        assert self.future is not None
        remaining = self.started + self.budget_s - time.perf_counter()
        try:
            decision, fallback = self.future.result(timeout=max(remaining, 0.0))
        except FutureTimeout:
            decision, fallback = None, f"{TIMED_OUT} ({self.budget_s * 1000:.0f} ms)"
        except Exception as exc:  # a bug in asking is no reason to stop deciding: decide here
            log.error("the online check failed: %s", exc)
            decision, fallback = None, f"{UNUSABLE}: {type(exc).__name__}"
        return Answer(decision, fallback, (time.perf_counter() - self.started) * 1000.0)
