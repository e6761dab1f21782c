"""The kiosk's health on the wire (issue 16, item 4): every upload of a sync carries what the kiosk's
process said (camera, decoder, relay, faults, uptime) with what the store knows (data age, clock
offset, free disk, unanchored audit entries, outbox), cut to the protocol's bounds; through the sync
process too; and a server older than the health gets the upload without it. The server's side:
tests/server/test_health.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import kiosk
from kiosk.domain.decide import Presentation
from kiosk.domain.payload import parse_payload
from kiosk.protocol.schema import KioskHealth
from kiosk.server.db import reading
from kiosk.server.models import KioskHealthRow
from kiosk.store.db import KioskStore
from kiosk.sync import health as health_module
from kiosk.sync import state
from kiosk.sync.client import SyncClient
from kiosk.sync.process import SyncProcess
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, now

#: What kiosk/workers/health.py gives, with a fault text longer than the protocol takes, a line break,
#: a bidi override, and a key the protocol does not know.
TOLD: dict[str, Any] = {
    "version": kiosk.__version__,
    "uptime_s": 4321.7,
    "camera_ok": False,
    "camera": "camera 0 is gone:\nreopen failed \u202e" + "x" * 300,
    "decoder": "zxing-cpp",
    "decoder_process": True,
    "relay_state": "closed",
    "relay": "simulated relay",
    "relay_fault": "",
    "faults": ["camera", "Not A Fault"],
    "temperature": 71,
}


class Recording(httpx.BaseTransport):
    """The real server behind it; keeps each upload's body. `old_server`: answers an upload that carries
    a health as a server older than the field does (422), and passes the others."""

    def __init__(self, *, old_server: bool = False) -> None:
        self.inner = httpx.HTTPTransport()
        self.old_server = old_server
        self.uploads: list[dict[str, Any]] = []
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v1/events":
            body = json.loads(request.content)
            if self.old_server and "health" in body:
                self.refused += 1
                detail = "body.health: Extra inputs are not permitted"
                return httpx.Response(422, json={"error": "invalid_request", "detail": detail, "server_time": "x"})
            self.uploads.append(body)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def scan(store: KioskStore) -> None:
    store.decisions.record(Presentation(parse_payload("NOSUCHCODE1")), now())


def stored_health(admin: Admin, store: KioskStore) -> KioskHealth | None:
    with store.reading() as connection:
        enrolled = state.enrolment(connection)
    assert enrolled is not None
    with reading(admin.engine) as connection:
        row = connection.execute(select(KioskHealthRow).where(KioskHealthRow.kiosk_id == enrolled.kiosk_id)).one()
    return None if row.health is None else KioskHealth.model_validate_json(row.health)


def test_every_upload_carries_the_health(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    admin.load([booking(code, f"{office}-{code}", office) for code in codes("HL", 3)])
    transport = Recording()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        scan(store)
        head = store.audit.head().seq
        with SyncClient(store, transport=transport) as client:
            client.sync_once(TOLD)
        sent = [KioskHealth.model_validate(body["health"]) for body in transport.uploads]
        first, last = sent[0], sent[-1]  # before the download, and the last after it (its pages' entries)
        # before the download: no complete data yet, nothing anchored, the two scans to upload
        assert first.data_age_s is None and first.unanchored_audit == head and first.outbox_pending == 2
        # after it: fresh data, the scans delivered, the pages' entries still to anchor
        assert last.data_age_s is not None and 0 <= last.data_age_s < 60 and last.outbox_pending == 0
        assert last.unanchored_audit is not None and 0 < last.unanchored_audit < head
        assert last.clock_offset_s is not None and abs(last.clock_offset_s) < 5
        assert last.free_disk_bytes is not None and last.free_disk_bytes > 0
        # the kiosk process's part, cut to the bounds; what the protocol does not know left out
        assert last.version == kiosk.__version__ and last.uptime_s == 4321
        assert last.camera_ok is False and last.camera.startswith("camera 0 is gone: reopen failed")
        assert len(last.camera) == 120 and "\n" not in last.camera and "\u202e" not in last.camera
        assert (last.decoder, last.decoder_process, last.relay_state) == ("zxing-cpp", True, "closed")
        assert last.faults == ["camera"]
        assert stored_health(admin, store) == last
        # `kiosk sync now` knows no camera: the store's part and the version
        with SyncClient(store, transport=transport) as client:
            client.sync_once()
        bare = stored_health(admin, store)
        assert bare is not None and bare.camera_ok is None and bare.uptime_s is None and bare.relay_state is None
        assert bare.version == kiosk.__version__ and bare.unanchored_audit is not None
    transport.close()


def test_a_server_older_than_the_health_gets_the_upload_without_it(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = admin.office()
    transport = Recording(old_server=True)
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        with SyncClient(store, transport=transport) as client:
            result = client.sync_once(TOLD)
            assert result.uploaded == 1 and transport.refused == 1
            assert all("health" not in body for body in transport.uploads)
            client.sync_once(TOLD)  # within the pause it does not ask again
            assert transport.refused == 1
            monkeypatch.setattr(health_module, "HEALTH_REFUSED_PAUSE_S", 0.0)
            transport.old_server = False  # the server was updated meanwhile
            client.sync_once(TOLD)
            assert "health" in transport.uploads[-1]
        assert store.decisions.outbox_size() == 0
        health = stored_health(admin, store)
        assert health is not None and health.uptime_s == 4321
    transport.close()


def test_the_health_crosses_to_the_sync_process(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        with SyncProcess(store.path, busy_timeout_ms=store.busy_timeout_ms) as runner:
            runner.sync_once({**TOLD, "camera_ok": True, "camera": "USB camera 0", "faults": []})
        health = stored_health(admin, store)
    assert health is not None and (health.camera_ok, health.camera, health.faults) == (True, "USB camera 0", [])
    assert health.uptime_s == 4321 and health.data_age_s is not None
