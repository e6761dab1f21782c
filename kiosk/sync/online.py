"""The online check: ask the server for its decision across every gate of the office, within a budget.

The door (kiosk/door) makes the event id first and asks here. If the server answers within the
budget (default 300 ms, `[online] budget_ms` in kiosk.toml), the door records the server's decision
under that id; otherwise, or if the answer is unusable, it decides from its local data under the
same id. Whatever happened at the server (nothing, or an "online" event recorded before the answer
was lost), the later upload of the kiosk's record replaces it: one event per scan, never two.

This module only asks: it never records and never builds a presentation. It may wait up to the
budget, so it is called from the database writer thread, never from the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from kiosk.domain.model import Decision
from kiosk.protocol.schema import CheckRequest, CheckResponse
from kiosk.protocol.wire import API_PREFIX, AUTHORIZATION, ProtocolError, decision_of
from kiosk.store import settings
from kiosk.store.db import KioskStore
from kiosk.sync import state

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 0.3

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
    """Asks `POST /v1/check` for one presentation. One HTTP client, kept between scans (keep-alive)."""

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

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def ask(self, payload_text: str, other_codes: int, event_uuid: str, now: dt.datetime) -> Answer:
        """The server's decision for the scan `event_uuid`, or None with the reason. Never raises for
        anything the network or the server does."""
        with self.store.reading() as connection:
            enrolled = state.enrolment(connection)
            token = state.token(connection)
            gate = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY)).gate
        if enrolled is None:
            return Answer(None, NOT_ENROLLED)
        if token is None or enrolled.revoked_at is not None:
            return Answer(None, REVOKED)
        started = time.perf_counter()
        decision, fallback = self._post(enrolled.server_url, token, payload_text, other_codes, gate, event_uuid, now)
        return Answer(decision, fallback, (time.perf_counter() - started) * 1000.0)

    def _post(
        self, base: str, token: str, text: str, other_codes: int, gate: str, event_uuid: str, now: dt.datetime
    ) -> tuple[Decision | None, str]:
        try:
            request = CheckRequest(
                event_uuid=event_uuid,
                payload=text.strip(" \t\r\n"),
                gate=gate,
                occurred_at=now,
                other_codes=other_codes,
            )
            response = self._client(base, token).post(f"{API_PREFIX}/check", content=request.model_dump_json())
            if response.status_code != 200:
                return None, f"{UNUSABLE}: server answered {response.status_code}"
            answer = CheckResponse.model_validate_json(response.content)
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
            self.close()
            budget = self.budget_s
            self._http = httpx.Client(
                base_url=base,
                transport=self._transport,
                # Each phase gets the whole budget; on loopback or a LAN only one of them ever waits
                # (connect to a dead host, or read from a hung server).
                timeout=httpx.Timeout(budget, connect=budget, read=budget, write=budget, pool=budget),
                headers={AUTHORIZATION: f"Bearer {token}", "Content-Type": "application/json"},
            )
            self._base, self._token = base, token
        return self._http
