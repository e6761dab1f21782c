"""The HTTP API directly: authentication, enrolment tokens, feed cursors, idempotent events, audit heads,
revocation, and the server's time in every response."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from kiosk.protocol.schema import EnrolResponse, EventBatchResult, RevokedBody
from kiosk.protocol.wire import SERVER_TIME_HEADER, keyring_of, verify_notice, verify_page
from kiosk.server import kiosks
from kiosk.server.db import writing
from tests.server.support import Admin, ServerProcess, booking, codes, now

GENESIS = "0" * 64


def enrol(server: ServerProcess, admin: Admin, office: str, gate: str = "G1") -> EnrolResponse:
    token = admin.enrol(office, gate)
    response = httpx.post(f"{server.url}/v1/enrol", json={"token": token, "gate": gate})
    assert response.status_code == 200, response.text
    return EnrolResponse.model_validate_json(response.content)


def auth(enrolled: EnrolResponse) -> dict[str, str]:
    return {"Authorization": f"Bearer {enrolled.device_token}"}


def event(office: str, kiosk_id: str, **changes: Any) -> dict[str, Any]:
    value = {
        "event_uuid": str(uuid.uuid4()),
        "occurred_at": now().isoformat(),
        "kind": "scan",
        "kiosk_id": kiosk_id,
        "gate": "G1",
        "office_code": office,
        "verdict": "DENY",
        "reason": "UNKNOWN_CODE",
        "payload_kind": "booking_code",
        "facts": {"source": "camera"},
    }
    value.update(changes)
    return value


def test_time_in_every_response(calm_server: ServerProcess) -> None:
    for response in (
        httpx.get(f"{calm_server.url}/v1/time"),
        httpx.get(f"{calm_server.url}/v1/bookings"),
        httpx.post(f"{calm_server.url}/v1/enrol", json={"token": "short"}),
        httpx.get(f"{calm_server.url}/healthz"),
    ):
        assert SERVER_TIME_HEADER in response.headers
        stamp = dt.datetime.fromisoformat(response.headers[SERVER_TIME_HEADER])
        assert abs((stamp - now()).total_seconds()) < 10
        if response.headers.get("content-type", "").startswith("application/json"):
            assert "server_time" in response.json()
    assert httpx.get(f"{calm_server.url}/v1/bookings").status_code == 401
    assert httpx.post(f"{calm_server.url}/v1/enrol", json={"token": "short"}).status_code == 422


def test_tokens(calm_server: ServerProcess, admin: Admin) -> None:
    office = admin.office()
    enrolled = enrol(calm_server, admin, office)
    assert enrolled.office.office_code == office and enrolled.keys
    bad = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{calm_server.url}/v1/bookings", headers=bad).json()["error"] == "unauthorised"
    assert httpx.get(f"{calm_server.url}/v1/bookings", headers={"Authorization": "Basic x"}).status_code == 401
    with writing(admin.engine) as connection:
        expired = kiosks.create(connection, office, "G9", now() - dt.timedelta(days=2))
    response = httpx.post(f"{calm_server.url}/v1/enrol", json={"token": expired.token, "gate": "G9"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_feed_cursor(calm_server: ServerProcess, admin: Admin) -> None:
    office = admin.office()
    admin.load([booking(c, f"{office}-{c}", office) for c in codes("CU", 7)])
    enrolled = enrol(calm_server, admin, office)
    ring = keyring_of(enrolled.keys)
    headers = {**auth(enrolled), "X-Kiosk-Keys": ",".join(ring.key_ids)}
    response = httpx.get(f"{calm_server.url}/v1/bookings", params={"limit": 5}, headers=headers)
    first = verify_page(ring, response.headers, response.content)
    assert len(first.bookings) == 5 and first.has_more and first.since is None
    response = httpx.get(f"{calm_server.url}/v1/bookings", params={"since": first.cursor}, headers=headers)
    second = verify_page(ring, response.headers, response.content)
    assert len(second.bookings) == 2 and not second.has_more and second.since == first.cursor
    epoch, seq = second.cursor.split(".")
    for foreign in (f"{'0' * 8}.1", f"{epoch}.{int(seq) + 5}"):
        gone = httpx.get(f"{calm_server.url}/v1/bookings", params={"since": foreign}, headers=headers)
        assert gone.status_code == 410 and gone.json()["error"] == "cursor_reset"
    assert httpx.get(f"{calm_server.url}/v1/bookings", params={"since": "x"}, headers=headers).status_code == 422


def test_events_idempotent_and_conflicts(calm_server: ServerProcess, admin: Admin) -> None:
    office = admin.office()
    enrolled = enrol(calm_server, admin, office)
    first = event(office, enrolled.kiosk_id)
    head = {"seq": 3, "hash": "a" * 64}

    def upload(*events: dict[str, Any], audit_head: dict[str, Any] = head) -> EventBatchResult:
        body = {"events": list(events), "audit_head": audit_head}
        response = httpx.post(f"{calm_server.url}/v1/events", json=body, headers=auth(enrolled))
        assert response.status_code == 200, response.text
        return EventBatchResult.model_validate_json(response.content)

    assert [r.status for r in upload(first).results] == ["stored"]
    assert [r.status for r in upload(first).results] == ["duplicate"]
    changed = {**first, "reason": "FORGED"}
    assert [r.status for r in upload(changed).results] == ["conflict"]
    other_kiosk = event(office, "K-ELSEWHERE", office_code="XX")  # kept, attributed to the sender
    assert [r.status for r in upload(other_kiosk).results] == ["stored"]
    assert {(r.event_uuid, r.reason, r.kiosk_id) for r in admin.events(office)} == {
        (first["event_uuid"], "UNKNOWN_CODE", enrolled.kiosk_id),
        (other_kiosk["event_uuid"], "UNKNOWN_CODE", enrolled.kiosk_id),
    }
    # the audit head: going back is flagged, so is a rewritten entry
    assert upload(audit_head={"seq": 2, "hash": "b" * 64}).audit == "alert"
    result = upload(audit_head={"seq": 2, "hash": "c" * 64})
    assert result.audit == "alert" and "rewritten" in result.audit_detail
    assert upload(audit_head={"seq": 9, "hash": "c" * 64}).audit == "ok"
    assert (
        "went back" in admin.kiosk(enrolled.kiosk_id).audit_alert
        or "rewritten" in admin.kiosk(enrolled.kiosk_id).audit_alert
    )
    too_many = {"events": [event(office, "K") for _ in range(501)], "audit_head": head}
    assert httpx.post(f"{calm_server.url}/v1/events", json=too_many, headers=auth(enrolled)).status_code == 422


@pytest.mark.parametrize("path", ["/v1/bookings", "/v1/events", "/v1/check"])
def test_revoked_kiosk_gets_a_signed_notice(calm_server: ServerProcess, admin: Admin, path: str) -> None:
    office = admin.office()
    enrolled = enrol(calm_server, admin, office)
    admin.revoke(enrolled.kiosk_id)
    method = "GET" if path == "/v1/bookings" else "POST"
    response = httpx.request(method, f"{calm_server.url}{path}", headers=auth(enrolled), json={})
    assert response.status_code == 403
    body = RevokedBody.model_validate_json(response.content)
    notice = verify_notice(keyring_of(enrolled.keys), body.key_id, body.notice, body.signature)
    assert notice is not None and notice["kiosk_id"] == enrolled.kiosk_id
