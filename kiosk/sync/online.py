"""The online check: ask the server first when it answers quickly, else decide locally, one event id.

For several gates in one office. The kiosk makes the event id first. If the server answers within
the timeout (default 300 ms), its decision (made with every gate's entries) is recorded locally
under that id; otherwise, or if the answer is unusable, the kiosk decides from its local data under
the same id. Whatever happened at the server (nothing, or an "online" event recorded before the
answer was lost), the later upload of the kiosk's record replaces it: one event per scan, never two.

One more guard: when the server admits but the local data already shows this booking used (an entry
at this gate not yet uploaded), the local decision is taken instead. Call this from the decision
worker, never from the GUI thread: it may wait up to the timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.payload import mask_code
from kiosk.protocol.schema import CheckRequest, CheckResponse
from kiosk.protocol.wire import API_PREFIX, AUTHORIZATION, ProtocolError, decision_of
from kiosk.store import settings
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.recorder import Recorded, write_event
from kiosk.store.times import to_text
from kiosk.sync import signed, state

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 0.3


@dataclass(frozen=True, slots=True)
class GateResult:
    recorded: Recorded
    #: True when the server's decision was used.
    online: bool
    #: Why the kiosk decided locally ("" when online, or when online checks are off).
    fallback: str = ""


class OnlineGate:
    """Decide and record one presentation, asking the server first when it is enrolled and quick."""

    def __init__(
        self,
        store: KioskStore,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        enabled: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.enabled = enabled
        self._transport = transport
        self._http: httpx.Client | None = None
        self._base = ""

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> OnlineGate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def present(
        self,
        raw: bytes | str,
        now: dt.datetime,
        *,
        other_codes: int = 0,
        source: str = "camera",
        event_uuid: str | None = None,
    ) -> GateResult:
        """Raises StoreError when nothing could be recorded (the caller shows OUT OF ORDER)."""
        event_uuid = event_uuid or str(uuid.uuid4())
        presentation = signed.presentation(self.store, raw, now, other_codes)
        fallback = ""
        if self.enabled and presentation.payload.is_code and presentation.signature_valid is not False:
            decision, fallback = self._ask(raw, presentation, event_uuid, now)
            if decision is not None:
                local = self.store.decide_only(presentation, now)
                if decision.verdict is Verdict.ADMIT and local.reason is Reason.ALREADY_ADMITTED:
                    fallback = "the local data shows an entry the server has not seen yet"
                else:
                    return GateResult(
                        record_decision(self.store, presentation, decision, now, event_uuid, source), True
                    )
        return GateResult(self.store.record(presentation, now, source, event_uuid), False, fallback)

    def _ask(
        self, raw: bytes | str, presentation: Presentation, event_uuid: str, now: dt.datetime
    ) -> tuple[Decision | None, str]:
        with self.store.reading() as connection:
            enrolled = state.enrolment(connection)
            token = state.token(connection)
            gate = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY)).gate
        if enrolled is None or token is None or enrolled.revoked_at is not None:
            return None, "not enrolled"
        text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
        try:
            request = CheckRequest(
                event_uuid=event_uuid,
                payload=text.strip(" \t\r\n"),
                gate=gate,
                occurred_at=now,
                other_codes=presentation.other_codes,
            )
            response = self._client(enrolled.server_url, token).post(
                f"{API_PREFIX}/check", content=request.model_dump_json()
            )
            if response.status_code != 200:
                return None, f"server answered {response.status_code}"
            answer = CheckResponse.model_validate_json(response.content)
            if answer.event_uuid != event_uuid:
                return None, "server answered for another event"
            return decision_of(answer.decision), ""
        except httpx.TimeoutException:
            return None, f"no answer within {self.timeout_s * 1000:.0f} ms"
        except httpx.HTTPError as exc:
            return None, f"server unreachable ({type(exc).__name__})"
        except (ValidationError, ProtocolError, ValueError) as exc:
            log.warning("unusable online answer (%s)", type(exc).__name__)
            return None, "unusable answer from the server"

    def _client(self, base: str, token: str) -> httpx.Client:
        if self._http is None or self._base != base:
            self.close()
            self._http = httpx.Client(
                base_url=base,
                transport=self._transport,
                timeout=httpx.Timeout(self.timeout_s),
                headers={AUTHORIZATION: f"Bearer {token}", "Content-Type": "application/json"},
            )
            self._base = base
        return self._http


def record_decision(
    store: KioskStore,
    presentation: Presentation,
    decision: Decision,
    now: dt.datetime,
    event_uuid: str,
    source: str,
) -> Recorded:
    """Record a decision made by the server, exactly as a local one is recorded (event, outbox, audit)."""
    with store.scanning():
        return _record_decision(store, presentation, decision, now, event_uuid, source)


def _record_decision(
    store: KioskStore,
    presentation: Presentation,
    decision: Decision,
    now: dt.datetime,
    event_uuid: str,
    source: str,
) -> Recorded:
    booking = decision.booking
    code = presentation.payload.code if presentation.payload.is_code else ""
    try:
        with store.writing() as connection:
            identity = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY))
            row: dict[str, Any] = {
                "event_uuid": event_uuid,
                "occurred_at": to_text(now),
                "kind": "scan",
                "kiosk_id": identity.kiosk_id,
                "gate": identity.gate,
                "booking_ref": booking.booking_ref if booking else None,
                "code_hash": store.hasher.hash(code) if code else None,
                "code_masked": mask_code(code) if code else "",
                "payload_kind": presentation.payload.kind.value,
                "verdict": decision.verdict.value,
                "reason": decision.reason.value,
                "persons": decision.persons,
                "service_date": booking.service_date.isoformat() if booking else None,
                "guard_id": None,
                "ref_event": None,
                "note": None,
                "facts": json.dumps({**decision.facts, "source": source, "decided_by": "server"}, sort_keys=True),
            }
            head = write_event(connection, row, identity)
    except SQLAlchemyError as exc:
        log.error("could not record an online decision: %s", exc)
        raise StoreError(f"could not record the scan: {exc}") from exc
    store.write_anchor(head)  # forward only, as after store.record()
    return Recorded(event_uuid, decision, now, head.seq, head.hash)
