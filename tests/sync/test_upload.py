"""The upload half of a sync (kiosk/sync/upload.py) against a fake server answer: the body carries the
kiosk's health or no `health` key at all; a server that refuses the health gets the batch again without
it (and no health for a pause, kiosk/sync/health.py); any other refusal fails the batch's rows, counted
and kept. Against the real server: tests/sync/test_sync.py, test_refused.py and test_health.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kiosk.store.db import KioskStore
from kiosk.store.schema import OutboxRow
from kiosk.sync.errors import InvalidRequestError
from kiosk.sync.health import HealthReport
from kiosk.sync.upload import Upload
from tests.store.conftest import present
from tests.sync.pages import NOW, enrolled_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    opened = enrolled_store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


class FakeServer:
    """Answers each upload: every event stored, no receipt. `refuse`: a 422 detail for bodies that
    match it (None: take everything)."""

    def __init__(self, refuse: str | None = None, about: str = "health") -> None:
        self.refuse = refuse
        self.about = about
        self.bodies: list[dict[str, object]] = []
        self.refused = 0

    def post(self, content: str) -> httpx.Response:
        body = json.loads(content)
        if self.refuse is not None and self.about in body:
            self.refused += 1
            raise InvalidRequestError(f"server answered 422: {self.refuse}")
        self.bodies.append(body)
        events = body["events"]
        assert isinstance(events, list)
        answer = {
            "results": [{"event_uuid": e["event_uuid"], "status": "stored"} for e in events],
            "audit": "ok",
            "server_time": NOW.isoformat(),
        }
        return httpx.Response(200, content=json.dumps(answer).encode())


def upload(store: KioskStore, health: HealthReport | None = None) -> Upload:
    report = health or HealthReport(store, lambda: NOW)
    return Upload(store, report, clock=lambda: NOW, batch=200, progress=lambda: None)


def test_every_batch_carries_the_health(store: KioskStore) -> None:
    store.decisions.record(present("MPNOTBOOKED9"), NOW)
    server = FakeServer()
    uploaded, refused, unsendable, alert = upload(store).run(server.post)
    assert (uploaded, refused, unsendable, alert) == (1, 0, 0, "")
    assert server.bodies and all(isinstance(body.get("health"), dict) for body in server.bodies)
    assert store.decisions.outbox_size() == 0


def test_a_server_that_refuses_the_health_gets_the_batch_without_it(store: KioskStore) -> None:
    store.decisions.record(present("MPNOTBOOKED9"), NOW)
    report = HealthReport(store, lambda: NOW)
    server = FakeServer(refuse="body.health: Extra inputs are not permitted")
    uploaded, *_ = upload(store, report).run(server.post)
    assert uploaded == 1 and server.refused == 1
    assert server.bodies and all("health" not in body for body in server.bodies)  # no key, not even null
    assert report.for_upload(0) is None  # and none for a while (HEALTH_REFUSED_PAUSE_S)
    assert store.decisions.outbox_size() == 0


def test_any_other_refusal_fails_the_batch_and_keeps_its_rows(store: KioskStore) -> None:
    uuid = store.decisions.record(present("MPNOTBOOKED9"), NOW).event_uuid
    server = FakeServer(refuse="body.events.0: bad", about="events")
    with pytest.raises(InvalidRequestError, match="events"):
        upload(store).run(server.post)
    assert server.refused == 1 and server.bodies == []  # not sent again without the health
    with store.reading() as connection:
        row = connection.execute(select(OutboxRow).where(OutboxRow.event_uuid == uuid)).one()
    assert row.attempts == 1 and "bad" in (row.last_error or "") and row.refused_at is None
