"""Faults between kiosk and server: after each, once the faults stop, the server's event set equals the
kiosk's (no duplicates, nothing lost) and the kiosk's bookings equal the server's for its office.

Every fault kind is injected by the real server on loopback (kiosk.server.faults), on SQLite and on
PostgreSQL: 500, 503 and 429 answers, a reply held past the client's timeout after the commit, a
connection dropped halfway through the body after the commit, a 500 after the commit, garbage, a
repeated earlier page, a cursor that goes backwards, a page for another office, a bad signature.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.domain.decide import Presentation
from kiosk.domain.payload import parse_payload
from kiosk.server.faults import KINDS
from kiosk.store.db import KioskStore
from kiosk.store.schema import BookingRow
from kiosk.sync.client import ResponseRefusedError, SyncClient, SyncError, TransientError
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, kiosk_event_uuids, now
from tests.sync.doorgate import OnlineGate

UPLOAD_FAULTS = ["500", "503", "429", "timeout", "drop", "500-after-commit", "garbage"]
PAGE_FAULTS = [
    "500",
    "503",
    "429",
    "timeout",
    "drop",
    "garbage",
    "repeat",
    "backwards",
    "other-office",
    "bad-signature",
]
REFUSED = {"garbage", "repeat", "backwards", "other-office", "bad-signature"}


def scan(store: KioskStore, code: str) -> str:
    return store.decisions.record(Presentation(parse_payload(code)), now()).event_uuid


def local_bookings(store: KioskStore) -> int:
    with store.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(BookingRow)).scalar_one())


def assert_same_events(admin: Admin, office: str, *stores: KioskStore) -> None:
    server = admin.event_uuids(office)
    assert len(server) == len(set(server)), "duplicates on the server"
    local = [uuid for store in stores for uuid in kiosk_event_uuids(store)]
    assert sorted(server) == sorted(local)
    rows = {row.event_uuid: row for row in admin.events(office)}
    for store in stores:
        assert store.decisions.outbox_size() == 0
        for uuid in kiosk_event_uuids(store):
            event = store.decisions.event(uuid)
            assert event is not None
            row = rows[uuid]
            assert (row.verdict, row.reason, row.persons, row.origin) == (
                event["verdict"], event["reason"], event["persons"], "upload"
            )  # fmt: skip


def sync_when_calm(client: SyncClient, attempts: int = 4) -> None:
    for attempt in range(attempts):
        try:
            client.sync_once()
            return
        except SyncError:
            if attempt == attempts - 1:
                raise


@pytest.mark.parametrize("kind", UPLOAD_FAULTS)
def test_upload_faults(kind: str, calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate(codes("UF", 6))])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, timeout_s=1.0) as client:
        client.sync_once()
        for code in codes("UF", 6):
            scan(store, code)
        calm_server.faults(rules=[{"kind": kind, "path": "/v1/events", "count": 2}])
        for extra in ("NOSUCHCODE1", "NOSUCHCODE2"):
            with pytest.raises(TransientError if kind not in REFUSED else ResponseRefusedError):
                client.sync_once()
            scan(store, extra)  # the gate keeps deciding while the server misbehaves
        assert store.decisions.outbox_size() == 8
        calm_server.calm()
        sync_when_calm(client)
        assert_same_events(admin, office, store)


@pytest.mark.parametrize("kind", PAGE_FAULTS)
def test_page_faults(kind: str, calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office, other = admin.office(), admin.office()
    first, later, (foreign,) = codes("PF", 40), codes("PG", 70), codes("PO", 1)
    admin.load([booking(code, f"{office}-{code}", office) for code in first])
    admin.load([booking(foreign, f"{other}-1", other)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, timeout_s=1.0) as client:
        client.sync_once()
        scan(store, first[0])
        admin.load([booking(code, f"{office}-{code}", office) for code in later])
        admin.cancel(first[1])
        before = (local_bookings(store), client.status().cursor)
        calm_server.faults(rules=[{"kind": kind, "path": "/v1/bookings", "count": 1}])
        with pytest.raises(TransientError if kind not in REFUSED else ResponseRefusedError):
            client.sync_once()
        assert (local_bookings(store), client.status().cursor) == before  # nothing of a bad page applied
        calm_server.calm()
        sync_when_calm(client)
        assert local_bookings(store) == 110
        assert store.decisions.decide_only(Presentation(parse_payload(later[-1])), now()).reason.value == "OK"
        assert store.decisions.decide_only(Presentation(parse_payload(first[1])), now()).reason.value == "CANCELLED"
        assert store.decisions.decide_only(Presentation(parse_payload(foreign)), now()).reason.value == "UNKNOWN_CODE"
        assert_same_events(admin, office, store)


def test_random_faults_two_kiosks(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    """Two kiosks of one office scanning (online check first) and syncing while about a third of all
    requests fail in every way the server knows; then the faults stop and everything lines up."""
    office = admin.office()
    pool = codes("RF", 40)
    admin.load([booking(code, f"{office}-{code}", office, party_size=2) for code in pool])
    rng = random.Random(7)
    with (
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G1") as one,
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G2") as two,
    ):
        clients = [SyncClient(one, timeout_s=1.0), SyncClient(two, timeout_s=1.0)]
        gates = [OnlineGate(one, timeout_s=0.3), OnlineGate(two, timeout_s=0.3)]
        try:
            for client in clients:
                client.sync_once()
            calm_server.faults(rate=0.35, random_kinds=list(KINDS), seed=11)
            online = 0
            for _ in range(8):
                for gate, client in zip(gates, clients, strict=True):
                    for _ in range(3):
                        online += gate.present(rng.choice([*pool, "RFNOTKNOWN1"]), now()).online
                    with contextlib.suppress(SyncError):
                        client.sync_once()
            injected = calm_server.calm()["injected"]
            assert sum(injected.values()) >= 15 and len(injected) >= 8, injected
            for client in clients:
                sync_when_calm(client)
            assert_same_events(admin, office, one, two)
            assert 0 < online < 48  # some scans were decided by the server, some fell back
        finally:
            for gate in gates:
                gate.close()
            for client in clients:
                client.close()
