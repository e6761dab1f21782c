"""Offices that cannot touch each other (issue 13): every write is bound to the token's office and kiosk.

Each test is one attack a reviewer confirmed on the server before this change, on SQLite and
PostgreSQL, against a real server process: a kiosk of one office uploading an event for another
office's booking (which then made that office's genuine applicant ALREADY_ADMITTED), or under
another office's code; an online check of another office's code answering with that booking's
details; an upload replacing another kiosk's online record because its UUID was known; an online
check under another kiosk's event id hiding that kiosk's admission.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kiosk.protocol.schema import CheckResponse, EnrolResponse, EventBatchResult
from kiosk.server.db import reading
from kiosk.server.models import EventRow
from tests.server.support import WIB, Admin, ServerProcess, booking, codes, now


@dataclass
class Gate:
    office: str
    kiosk_id: str
    headers: dict[str, str]


def _enrol(server: ServerProcess, admin: Admin, office: str, gate: str = "G1") -> Gate:
    answer = httpx.post(f"{server.url}/v1/enrol", json={"token": admin.enrol(office, gate), "gate": gate})
    assert answer.status_code == 200, answer.text
    body = EnrolResponse.model_validate_json(answer.content)
    return Gate(office, body.kiosk_id, {"Authorization": f"Bearer {body.device_token}"})


def _check(server: ServerProcess, gate: Gate, code: str, event_uuid: str | None = None) -> httpx.Response:
    body = {
        "event_uuid": event_uuid or str(uuid.uuid4()),
        "payload": code,
        "gate": "G1",
        "occurred_at": now().isoformat(),
    }
    response = httpx.post(f"{server.url}/v1/check", json=body, headers=gate.headers)
    assert response.status_code == 200, response.text
    return response


def _admit(gate: Gate, ref: str | None, **fields: Any) -> dict[str, Any]:
    event = {
        "event_uuid": str(uuid.uuid4()),
        "occurred_at": now().isoformat(),
        "kind": "scan",
        "kiosk_id": gate.kiosk_id,
        "gate": "G1",
        "office_code": gate.office,
        "booking_ref": ref,
        "code_masked": "MP******3M",
        "payload_kind": "booking_code",
        "verdict": "ADMIT",
        "reason": "OK",
        "persons": 1,
        "service_date": now().date().isoformat(),
    }
    event.update(fields)
    return event


def _upload(server: ServerProcess, gate: Gate, *events: dict[str, Any]) -> EventBatchResult:
    batch = {"events": list(events), "audit_head": {"seq": 1, "hash": "a" * 64}, "outbox_pending": 0}
    response = httpx.post(f"{server.url}/v1/events", json=batch, headers=gate.headers)
    assert response.status_code == 200, response.text
    return EventBatchResult.model_validate_json(response.content)


def _row(admin: Admin, event_uuid: str) -> Any:
    with reading(admin.engine) as connection:
        return connection.execute(select(EventRow).where(EventRow.event_uuid == event_uuid)).one_or_none()


@dataclass
class Two:
    """Two offices, a booking of each for today, a kiosk enrolled at each."""

    jkt: Gate
    dps: Gate
    jkt_code: str
    jkt_ref: str
    dps_code: str
    dps_ref: str


@pytest.fixture
def two(calm_server: ServerProcess, admin: Admin) -> Two:
    jkt, dps = admin.office(), admin.office()
    jkt_code, dps_code = codes("IJ", 1)[0], codes("ID", 1)[0]
    admin.load([booking(jkt_code, f"{jkt}-1", jkt), booking(dps_code, f"{dps}-1", dps, party_size=2)])
    return Two(
        _enrol(calm_server, admin, jkt), _enrol(calm_server, admin, dps), jkt_code, f"{jkt}-1", dps_code, f"{dps}-1"
    )


def test_upload_for_another_offices_booking_is_refused(calm_server: ServerProcess, admin: Admin, two: Two) -> None:
    """JKT's kiosk uploads an ADMIT for DPS's booking: refused for good, nothing kept, and DPS's genuine
    applicant is still admitted at DPS."""
    forged = _admit(two.jkt, two.dps_ref, persons=2)
    genuine = _admit(two.jkt, two.jkt_ref)
    results = _upload(calm_server, two.jkt, forged, genuine).results
    assert [r.status for r in results] == ["conflict", "stored"]
    assert results[0].detail.startswith("refused:") and two.dps_ref in results[0].detail
    assert _row(admin, forged["event_uuid"]) is None
    assert _row(admin, genuine["event_uuid"]) is not None
    again = _upload(calm_server, two.jkt, forged).results  # the same again: still refused, still nothing
    assert [r.status for r in again] == ["conflict"] and _row(admin, forged["event_uuid"]) is None
    answer = CheckResponse.model_validate_json(_check(calm_server, two.dps, two.dps_code).content)
    assert (answer.decision.verdict.value, answer.decision.reason.value) == ("ADMIT", "OK")
    assert answer.decision.persons == 2


def test_upload_under_another_offices_code_is_refused(calm_server: ServerProcess, admin: Admin, two: Two) -> None:
    """An event that says it is DPS's, sent with JKT's token, is refused and not kept (not even as JKT's)."""
    event = _admit(two.jkt, None, office_code=two.dps.office, persons=0, verdict="DENY", reason="UNKNOWN_CODE")
    results = _upload(calm_server, two.jkt, event).results
    assert [r.status for r in results] == ["conflict"] and results[0].detail.startswith("refused:")
    assert _row(admin, event["event_uuid"]) is None
    assert event["event_uuid"] not in admin.event_uuids(two.jkt.office) + admin.event_uuids(two.dps.office)


def test_check_of_another_offices_code_tells_nothing_of_it(calm_server: ServerProcess, admin: Admin, two: Two) -> None:
    """JKT checks DPS's code: WRONG_OFFICE, the office named (the applicant is told where to go), and
    nothing of the booking in the answer or in JKT's record of the scan."""
    event_uuid = str(uuid.uuid4())
    response = _check(calm_server, two.jkt, two.dps_code, event_uuid)
    answer = CheckResponse.model_validate_json(response.content)
    assert (answer.decision.verdict.value, answer.decision.reason.value) == ("DENY", "WRONG_OFFICE")
    assert answer.decision.booking is None
    assert answer.decision.facts == {"office": two.dps.office}
    service_date = now().astimezone(WIB).date().isoformat()
    said = json.dumps({k: v for k, v in response.json().items() if k != "server_time"})
    for secret in (two.dps_ref, service_date, "23:59", f"Pemohon {two.dps_ref}", "1234", "party"):
        assert secret not in said, secret
    row = _row(admin, event_uuid)
    assert row is not None and row.office_code == two.jkt.office
    assert row.booking_ref is None and row.service_date is None and row.persons == 0


def test_upload_never_replaces_another_kiosks_event(calm_server: ServerProcess, admin: Admin, two: Two) -> None:
    """A second kiosk of the same office that knows the id of the first kiosk's online record cannot
    replace it by uploading under that id; the first kiosk's own upload still does."""
    other = _enrol(calm_server, admin, two.jkt.office, "G2")
    event_uuid = str(uuid.uuid4())
    _check(calm_server, two.jkt, two.jkt_code, event_uuid)
    online = _row(admin, event_uuid)
    assert online.origin == "online" and online.kiosk_id == two.jkt.kiosk_id and online.persons == 1
    takeover = _admit(other, two.jkt_ref, event_uuid=event_uuid, persons=0, verdict="DENY", reason="TOO_LATE")
    results = _upload(calm_server, other, takeover).results
    assert [r.status for r in results] == ["conflict"] and results[0].detail.startswith("refused:")
    assert tuple(_row(admin, event_uuid)) == tuple(online)
    own = _admit(two.jkt, two.jkt_ref, event_uuid=event_uuid)
    assert [r.status for r in _upload(calm_server, two.jkt, own).results] == ["stored"]
    replaced = _row(admin, event_uuid)
    assert replaced.origin == "upload" and replaced.kiosk_id == two.jkt.kiosk_id


def test_check_under_another_kiosks_event_id_sees_its_entry(calm_server: ServerProcess, admin: Admin, two: Two) -> None:
    """The online check leaves out the scan's own record from the booking's entries: under another
    kiosk's event id, that kiosk's admission still counts."""
    other = _enrol(calm_server, admin, two.jkt.office, "G2")
    event_uuid = str(uuid.uuid4())
    first = CheckResponse.model_validate_json(_check(calm_server, two.jkt, two.jkt_code, event_uuid).content)
    assert first.decision.verdict.value == "ADMIT"
    second = CheckResponse.model_validate_json(_check(calm_server, other, two.jkt_code, event_uuid).content)
    assert (second.decision.verdict.value, second.decision.reason.value) != ("ADMIT", "OK")
    assert second.decision.reason.value == "ALREADY_ADMITTED"


def test_a_moved_bookings_old_events_do_not_use_it_up(calm_server: ServerProcess, admin: Admin, two: Two) -> None:
    """JKT admitted a booking that later moved to DPS: JKT's event is kept (it was JKT's booking when
    its gate let the applicant in), and it does not count as an entry at DPS."""
    code = codes("IM", 1)[0]
    ref = f"{two.jkt.office}-moved"
    admin.load([booking(code, ref, two.jkt.office)])
    admission = _admit(two.jkt, ref)
    assert [r.status for r in _upload(calm_server, two.jkt, admission).results] == ["stored"]
    admin.load([booking(code, ref, two.dps.office, version=2)])
    late = _admit(two.jkt, ref)  # uploaded after the move: it was JKT's booking once, so it is JKT's event
    assert [r.status for r in _upload(calm_server, two.jkt, late).results] == ["stored"]
    answer = CheckResponse.model_validate_json(_check(calm_server, two.dps, code).content)
    assert (answer.decision.verdict.value, answer.decision.reason.value) == ("ADMIT", "OK")
