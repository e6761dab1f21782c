"""A revoked kiosk wipes its personal data, but only on a revocation notice the server really signed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Reason
from kiosk.domain.payload import parse_payload
from kiosk.protocol.keys import SigningKey
from kiosk.protocol.schema import RevokedBody
from kiosk.protocol.wire import sign_notice
from kiosk.sync.client import KioskRevokedError, ResponseRefusedError, SyncClient
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, now, sync


def test_revoked_kiosk_wipes_personal_data(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    all_codes = codes("RV", 5)
    admin.load([booking(c, f"{office}-{c}", office) for c in all_codes])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store) as client:
        client.sync_once()
        store.decisions.record(Presentation(parse_payload(all_codes[0])), now())
        assert store.retention.pii_inventory()["bookings.display_name"] == 5
        admin.revoke(client.status().kiosk_id)
        with pytest.raises(KioskRevokedError):
            client.sync_once()
        inventory = store.retention.pii_inventory()
        assert inventory["bookings (rows)"] == 0 and inventory["bookings.display_name"] == 0
        assert store.decisions.outbox_size() == 1  # the event stays: it is evidence, and holds no names
        status = client.status()
        assert status.revoked and status.data_as_of is None
        assert "revoked" in status.summary(now())
        assert store.audit.verify().ok
        # unknown codes now go to the guard, and the kiosk does not call the server again
        assert store.decisions.decide_only(Presentation(parse_payload(all_codes[1])), now()).reason is Reason.STALE_DATA
        with pytest.raises(KioskRevokedError):
            client.sync_once()


def test_unsigned_revocation_is_ignored(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    admin.load([booking(c, f"{office}-{c}", office) for c in codes("RX", 3)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store)
        kiosk_id = SyncClient(store).status().kiosk_id

        def forged(request: httpx.Request) -> httpx.Response:
            notice, signature = sign_notice(SigningKey.generate("k-evil"), {"kiosk_id": kiosk_id, "revoked_at": "x"})
            body = RevokedBody(notice=notice, key_id="k-evil", signature=signature, server_time=now())
            return httpx.Response(403, content=body.model_dump_json())

        with SyncClient(store, transport=httpx.MockTransport(forged)) as client, pytest.raises(ResponseRefusedError):
            client.sync_once()
        assert store.retention.pii_inventory()["bookings (rows)"] == 3
