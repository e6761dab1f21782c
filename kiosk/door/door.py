"""The door itself: a sighting in, a recorded decision out. See the package docstring for the steps.

Runs on the database writer thread (or in a command-line tool): it may wait for the server up to the
online budget. Fails closed: anything that stops the recording raises StoreError, and the caller
shows OUT OF ORDER with the gate shut; a server that is slow, down or confused only makes the kiosk
decide from its own data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from dataclasses import dataclass

import httpx

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Decision
from kiosk.domain.payload import PayloadKind, parse_payload
from kiosk.door import trust
from kiosk.door.sighting import Sighting, Source
from kiosk.protocol import codes
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import add_note
from kiosk.store.recorder import Annotation, Recorded
from kiosk.sync import signed, state
from kiosk.sync.online import DEFAULT_BUDGET_S, OnlineCheck

log = logging.getLogger(__name__)

#: Why a scan was decided here without asking the server (shown to the guard, kept in the facts).
CHECK_OFF = "online check off"
NOT_A_CODE = "not a booking code"
FORGED_HERE = "signature checked here"


@dataclass(frozen=True, slots=True)
class DoorSettings:
    """`[online]` in kiosk.toml: ask the server across gates (when enrolled), within `budget_s`."""

    online_check: bool = True
    budget_s: float = DEFAULT_BUDGET_S


class Door:
    """Decide and record what a reader saw. One per store; `close()` ends its HTTP client."""

    def __init__(
        self,
        store: KioskStore,
        settings: DoorSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or DoorSettings()
        self.online = OnlineCheck(store, budget_s=self.settings.budget_s, transport=transport)

    def close(self) -> None:
        self.online.close()

    def __enter__(self) -> Door:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the path ------------------------------------------------------------------------------------

    def present(self, sighting: Sighting, event_uuid: str | None = None) -> Recorded:
        """Parse, verify, ask the server or decide here, record. Raises StoreError when nothing could be
        recorded (the caller shows OUT OF ORDER and keeps the gate shut)."""
        event_uuid = event_uuid or str(uuid.uuid4())
        presentation = self._presentation(sighting)
        annotation = self._annotation(sighting)
        decision, facts, elapsed = self._ask_server(sighting, presentation, event_uuid)
        annotation = dataclasses.replace(annotation, facts={**annotation.facts, **facts})
        if decision is not None:
            recorded = self.store.decisions.record_decided(
                presentation, decision, sighting.at, sighting.source.value, event_uuid, annotation
            )
        else:
            recorded = self.store.decisions.record(
                presentation, sighting.at, sighting.source.value, event_uuid, annotation
            )
        recorded = dataclasses.replace(
            recorded, decided_by=facts["decided_by"], fallback=facts.get("fallback", ""), online_ms=elapsed
        )
        if sighting.guard_id is not None:
            self._note_manual_entry(recorded, sighting)
        return recorded

    def preview(self, raw: bytes | str, at: dt.datetime, other_codes: int = 0) -> Decision:
        """The local decision for a code, recorded nowhere (the text demo's list of samples)."""
        sighting = Sighting(raw, at, Source.CLI, other_codes)
        return self.store.decisions.decide_only(self._presentation(sighting, learn=False), at)

    # --- the steps -----------------------------------------------------------------------------------

    def _presentation(self, sighting: Sighting, *, learn: bool = True) -> Presentation:
        """Parse; verify a signed code against the synced keys and learn a genuine one's booking."""
        payload = parse_payload(sighting.raw)
        if payload.kind is not PayloadKind.SIGNED_CODE:
            reading = codes.Reading(payload)
        else:
            with self.store.reading() as connection:
                ring = state.keyring(connection)
            reading = codes.read(sighting.raw, ring)
            if reading.fields is not None and learn:
                signed.learn(self.store, reading.fields, sighting.at)
        return Presentation(reading.payload, sighting.other_codes, reading.signature_valid)

    def _ask_server(
        self, sighting: Sighting, presentation: Presentation, event_uuid: str
    ) -> tuple[Decision | None, dict[str, str], float | None]:
        """The server's decision across gates when it is to be asked and answers in time; else None and
        why this kiosk decides (kept in the event's facts as decided_by and fallback)."""
        here = {"decided_by": "local"}
        if not self.settings.online_check:
            return None, {**here, "fallback": CHECK_OFF}, None
        if not presentation.payload.is_code:
            return None, {**here, "fallback": NOT_A_CODE}, None
        if presentation.signature_valid is False:
            return None, {**here, "fallback": FORGED_HERE}, None
        text = sighting.raw.decode("ascii", "replace") if isinstance(sighting.raw, bytes) else sighting.raw
        pending = self.online.send(text, sighting.other_codes, event_uuid, sighting.at)
        if pending.known is not None:  # nobody to ask (not enrolled, revoked, a check still out)
            return None, {**here, "fallback": pending.known.fallback}, pending.known.elapsed_ms
        local = self.store.decisions.decide_only(presentation, sighting.at)  # while the server thinks
        office = self.store.settings.identity().office_code
        answer = pending.answer()
        if answer.decision is None:
            return None, {**here, "fallback": answer.fallback}, answer.elapsed_ms
        problem = trust.distrust(answer.decision, local, office)
        if problem:
            if problem != trust.SEEN_HERE:  # an entry not uploaded yet is ordinary; the rest is not
                log.error("the server's %s is not taken: %s", answer.decision.reason.value, problem)
            return None, {**here, "fallback": problem}, answer.elapsed_ms
        decision = dataclasses.replace(answer.decision, facts=trust.bounded_facts(answer.decision.facts))
        return decision, {"decided_by": "server"}, answer.elapsed_ms

    def _annotation(self, sighting: Sighting) -> Annotation:
        if sighting.guard_id is None:
            return Annotation()
        return Annotation(facts={"entered_by": self._guard_name(sighting.guard_id)})

    def _guard_name(self, guard_id: int) -> str:
        return next((g.name for g in self.store.guards.all() if g.id == guard_id), f"#{guard_id}")

    def _note_manual_entry(self, recorded: Recorded, sighting: Sighting) -> None:
        """The record says who typed the code: a note by that guard on the scan, in both languages.
        (The scan itself names the guard in its facts, in the same transaction as the decision.)"""
        assert sighting.guard_id is not None
        name = self._guard_name(sighting.guard_id)
        text = manual_note(name)
        try:
            add_note(self.store, recorded.event_uuid, sighting.guard_id, text, sighting.at)
        except Exception as exc:  # the decision is recorded and names the guard; the note is extra
            log.error("could not note the manual entry: %s", exc)


def decided_text(recorded: Recorded) -> str:
    """Which path decided a scan, as the command-line tools print it."""
    if recorded.decided_by == "server":
        return "decided by the server (all gates)"
    return f"decided here ({recorded.fallback})" if recorded.fallback else "decided here"


def manual_note(guard_name: str) -> str:
    return f"Kode diketik petugas {guard_name} / code typed in by guard {guard_name}"
