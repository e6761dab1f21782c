"""The kiosk's health, as every upload of a sync carries it (`EventBatch.health`).

Two parts: what the kiosk's process says of itself (its camera, decoder, relay, faults, uptime;
kiosk/workers/health.py), cut to the protocol's bounds, and what the store knows now (data age, clock
offset, free disk, unanchored audit entries, outbox). A server older than the health refuses an upload
that carries it: uploads then go without it for HEALTH_REFUSED_PAUSE_S, then try it again.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

import kiosk
from kiosk.domain.clock import WallClock
from kiosk.protocol.schema import KioskHealth
from kiosk.store.db import KioskStore
from kiosk.sync import anchoring, state

log = logging.getLogger(__name__)

#: After a server refused the kiosk's health (a server older than it), uploads go without it for this
#: long, then try it again (the server may have been updated meanwhile).
HEALTH_REFUSED_PAUSE_S = 3600.0

#: What the kiosk's process may tell about its health (kiosk/workers/health.py), with each text's limit.
_KIOSK_TEXTS = {"camera": 120, "decoder": 40, "relay": 120, "relay_fault": 120, "version": 40}
_KIOSK_FLAGS = ("camera_ok", "decoder_process")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]+")


class HealthReport:
    """The health for one client's uploads. `told`: what the kiosk's process said for this sync (None:
    nothing, as for `kiosk sync now`)."""

    def __init__(self, store: KioskStore, clock: WallClock) -> None:
        self.store = store
        self._clock = clock
        self.told: Mapping[str, Any] | None = None
        self._refused_at: float | None = None

    def refused(self) -> None:
        """The server refused an upload for the health: leave it out for HEALTH_REFUSED_PAUSE_S."""
        self._refused_at = time.monotonic()

    def for_upload(self, head_seq: int) -> KioskHealth | None:
        """The kiosk's health for an upload: what its process said, with what the store knows now. None
        while the server refuses it (HEALTH_REFUSED_PAUSE_S)."""
        refused_at = self._refused_at
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
        told = _from_kiosk(self.told or {})
        try:
            return KioskHealth.model_validate({**told, **known, "version": told.get("version") or known["version"]})
        except ValidationError as exc:  # the kiosk's own part is off: send what the store knows
            log.warning("the kiosk's health does not fit the protocol (%s); sending the store's part", exc)
            return KioskHealth.model_validate(known)


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
