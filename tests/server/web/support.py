"""The dashboard under test: the real app (create_app) on SQLite or PostgreSQL through Starlette's
in-process ASGI transport, seeded with two offices, their kiosks, events and one user per role."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, insert

from kiosk.protocol.schema import KioskHealth
from kiosk.server import accounts, health, kiosks, offices, summaries
from kiosk.server.db import utc_text, writing
from kiosk.server.models import EventRow, KioskRow

PASSWORD = "correct horse battery"
OFFICE_A, OFFICE_B = "WEBA", "WEBB"
USERS = {
    "admin_a": (accounts.OFFICE_ADMIN, OFFICE_A),
    "viewer_a": (accounts.OFFICE_VIEWER, OFFICE_A),
    "admin_b": (accounts.OFFICE_ADMIN, OFFICE_B),
    "auditor": (accounts.NATIONAL_AUDITOR, None),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A browser without a browser: one cookie jar, requests through httpx's ASGI transport, each in an
    event loop of its own (Starlette's TestClient warns about httpx, and warnings are errors here)."""

    def __init__(self, app: FastAPI, base_url: str = "http://testserver") -> None:
        self.app, self.base_url = app, base_url
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, *, follow_redirects: bool = True, **options: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url=self.base_url, cookies=self.cookies, follow_redirects=follow_redirects
            ) as client:
                response = await client.request(method, url, **options)
                await response.aread()
                self.cookies = httpx.Cookies(client.cookies)
                return response

        return asyncio.run(go())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def login(client: WebClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/web/login")
    assert page.status_code == 200
    return client.post(
        "/web/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/web/offices"},
        follow_redirects=False,
    )


def logged_in(client: WebClient, username: str) -> WebClient:
    answer = login(client, username)
    assert answer.status_code == 303, answer.text
    return client


def page_csrf(client: WebClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return csrf_of(answer.text)


@dataclass
class Seeded:
    kiosk_a1: str
    kiosk_a2: str
    kiosk_b1: str
    refer_uuid: str
    override_uuid: str


def _event(kiosk_id: str, office: str, gate: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_uuid": str(uuid.uuid4()),
        "office_code": office,
        "kiosk_id": kiosk_id,
        "gate": gate,
        "kind": "scan",
        "occurred_at": utc_text(at),
        "received_at": utc_text(at),
        "booking_ref": None,
        "code_masked": "MP7K****3M",
        "payload_kind": "booking_code",
        "verdict": "ADMIT",
        "reason": "OK",
        "persons": 1,
        "service_date": None,
        "guard_id": None,
        "ref_event": None,
        "note": None,
        "facts": "{}",
        "extra": "{}",
        "audit_seq": None,
        "audit_hash": None,
        "origin": "upload",
        "body_hash": None,
    }
    row.update(fields)
    return row


def seed(engine: Engine) -> Seeded:
    moment = now()
    with writing(engine) as connection:
        for code in (OFFICE_A, OFFICE_B):
            offices.add_office(connection, code, moment, {"zone": "Asia/Jakarta"})
        for name, (role, office) in USERS.items():
            accounts.add_user(connection, name, role, office, PASSWORD, moment)
        ids = []
        for office, gate in ((OFFICE_A, "G1"), (OFFICE_A, "G2"), (OFFICE_B, "G1")):
            enrolment = kiosks.create(connection, office, gate, moment)
            kiosks.redeem(connection, enrolment.token, gate, "", moment)
            ids.append(enrolment.kiosk_id)
        a1, a2, b1 = ids
        health.note_contact(
            connection, a1, health.UPLOAD, moment,
            KioskHealth(version="0.1.0", uptime_s=3600, camera_ok=True, data_age_s=30, clock_offset_s=1.5),
        )  # fmt: skip
        health.note_contact(
            connection, a2, health.UPLOAD, moment - dt.timedelta(hours=2),
            KioskHealth(version="0.1.0", camera_ok=False, camera="not connected", data_age_s=60),
        )  # fmt: skip
        connection.execute(
            KioskRow.__table__.update().where(KioskRow.kiosk_id == a1).values(audit_seq=12, audit_hash="ab" * 32)
        )
        base = moment - dt.timedelta(minutes=5)
        refer = _event(a1, OFFICE_A, "G1", base, verdict="REFER", reason="NEEDS_OFFICER", booking_ref="BR-A-1")
        deny = _event(a1, OFFICE_A, "G1", base, verdict="REFER", reason="CODE_BURST", persons=0)
        deny2 = _event(a2, OFFICE_A, "G2", base, verdict="DENY", reason="WRONG_DAY", persons=0)
        admit = _event(a2, OFFICE_A, "G2", base, booking_ref="BR-A-2")
        denied = _event(a1, OFFICE_A, "G1", base, verdict="DENY", reason="TOO_EARLY", persons=0, booking_ref="BR-A-3")
        override = _event(
            a1, OFFICE_A, "G1", base + dt.timedelta(seconds=30), kind="override", reason="ID_CHECKED",
            guard_id=3, ref_event=denied["event_uuid"], note="KTP dicocokkan", booking_ref="BR-A-3",
        )  # fmt: skip
        other = _event(b1, OFFICE_B, "G1", base, verdict="DENY", reason="UNKNOWN_CODE", persons=0, note=None)
        secret_b = _event(
            b1, OFFICE_B, "G1", base, kind="override", reason="OTHER", guard_id=7, note="catatan kantor B rahasia"
        )
        rows = [refer, deny, deny2, admit, denied, override, other, secret_b]
        connection.execute(insert(EventRow), rows)
        summaries.count(connection, rows)  # as kiosk/server/events.py does with every insert
    return Seeded(a1, a2, b1, refer["event_uuid"], override["event_uuid"])


def health_json(**fields: Any) -> str:
    return json.dumps(fields)
