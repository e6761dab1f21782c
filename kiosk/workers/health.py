"""What only the kiosk's own process knows of its health, for the sync to send to the server.

The camera, the decoder and the gate relay live in the kiosk's process; the sync runs in a child
process (kiosk/sync/process.py) that knows only the database. So the sync worker asks `kiosk_health`
before each sync (SyncWorker(health=...)), on the sync's thread, and the snapshot, plain values, goes
to the child with the sync request; the client adds what the store knows (data age, clock offset, free
disk, unanchored audit entries, outbox) and sends it all as `EventBatch.health`
(kiosk.protocol.schema.KioskHealth). `kiosk server kiosks` shows it.

Everything here reads values the GUI thread replaces whole (the status panel's camera status and fault
set, the relay's state and fault text): one attribute read each, safe from another thread, with no
lock and no call into Qt.
"""

from __future__ import annotations

import time
from typing import Any

import kiosk as kiosk_package

#: When the kiosk's process started, near enough: this module is imported with the app, at start-up.
STARTED = time.monotonic()


def kiosk_health(kiosk: Any, *, monotonic: Any = time.monotonic, started: float | None = None) -> dict[str, Any]:
    """The kiosk process's part of its health (kiosk.app.Kiosk, duck-typed: this layer is below the
    app and the screens): camera ok or its fault, decoder and whether it runs in its own process,
    relay state, relay and its fault, what holds the kiosk OUT OF ORDER, uptime, version."""
    snapshot: dict[str, Any] = {
        "version": kiosk_package.__version__,
        "uptime_s": max(int(monotonic() - (STARTED if started is None else started)), 0),
    }
    status_page = getattr(getattr(kiosk, "console", None), "status_page", None)
    camera = getattr(status_page, "camera", None)
    if camera is not None and (camera.ok or camera.message or camera.source or camera.decoder):
        snapshot["camera_ok"] = bool(camera.ok)
        snapshot["camera"] = str(camera.source if camera.ok else camera.message or "fault")
        snapshot["decoder"] = str(camera.decoder)
        snapshot["decoder_process"] = bool(camera.decoder_process)
    faults = getattr(status_page, "faults", None)
    if faults is not None:
        snapshot["faults"] = sorted(str(fault) for fault in faults)
    relay = getattr(kiosk, "relay", None)
    if relay is not None:
        state = relay.state
        snapshot["relay_state"] = str(getattr(state, "value", state))
        snapshot["relay"] = str(relay.description)
        snapshot["relay_fault"] = str(getattr(relay, "fault_message", None) or "")
    return snapshot
