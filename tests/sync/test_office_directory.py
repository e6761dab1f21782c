"""The office directory (issue 15) through a real sync against the server on loopback: the kiosk learns its
office's full name and every other office's, keeps them, hears of a change at its next sync, and names the
office of a booking made for another one; a kiosk that does not ask (an older one) gets pages without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from kiosk.domain.explain import Lang, explain
from kiosk.domain.model import Reason
from kiosk.domain.screen import decision_screen
from kiosk.protocol.schema import PageBody
from kiosk.protocol.wire import OFFICES_QUERY, directory_digest
from kiosk.server import offices
from kiosk.server.db import writing
from kiosk.store.schema import AuditRow
from kiosk.sync import state
from kiosk.sync.client import SyncClient
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, now
from tests.sync.doorgate import OnlineGate

SEMARANG = "Kantor Imigrasi Kelas I TPI Semarang"
SINGARAJA = "Kantor Imigrasi Kelas II TPI Singaraja"


def _name(admin: Admin, office: str, name: str) -> None:
    with writing(admin.engine) as connection:
        offices.set_office(connection, office, None, None, name)


def _directory_entries(store: object) -> int:
    with store.reading() as connection:  # type: ignore[attr-defined]
        kinds = connection.execute(select(AuditRow.kind, AuditRow.subject)).all()
    return sum(1 for kind, subject in kinds if (kind, subject) == ("settings", "offices"))


def _page(server: ServerProcess, token: str, **params: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/v1/bookings", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = json.loads(response.content)
    return body


def test_the_directory_reaches_the_kiosk_and_names_the_other_office(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office, other, unnamed = admin.office(), admin.office(), admin.office()
    _name(admin, office, SEMARANG)
    _name(admin, other, SINGARAJA)
    (mine, theirs) = codes("OD", 2)
    admin.load([booking(mine, f"{office}-1", office), booking(theirs, f"{other}-1", other)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, timeout_s=5) as client:
        assert store.settings.office_names() == {}
        client.sync_once()
        names = store.settings.office_names()
        assert names[office] == SEMARANG and names[other] == SINGARAJA and unnamed not in names
        assert store.settings.office_name() == SEMARANG
        assert _directory_entries(store) == 1

        # an applicant of the other office, decided by the server: the answer names that office
        with OnlineGate(store) as gate:
            recorded = gate.present(theirs, now())
        assert recorded.online and recorded.recorded.decision.reason is Reason.WRONG_OFFICE
        screen = decision_screen(recorded.recorded.decision, offices=store.settings.office_names())
        assert SINGARAJA in screen.words[Lang.ID].sentence and SINGARAJA in screen.words[Lang.EN].sentence
        assert other not in screen.words[Lang.ID].sentence  # the name, not the code
        assert f"({other})" in explain(recorded.recorded.decision, Lang.ID).sentence  # without a directory

        client.sync_once()  # nothing changed: no directory on the page, nothing written
        assert _directory_entries(store) == 1
        _name(admin, other, "Kantor Imigrasi Kelas I TPI Singaraja")
        _name(admin, unnamed, "Kantor Imigrasi Kelas I TPI Mataram")
        client.sync_once()
        names = store.settings.office_names()
        assert (names[other], names[unnamed]) == (
            "Kantor Imigrasi Kelas I TPI Singaraja",
            "Kantor Imigrasi Kelas I TPI Mataram",
        )
        assert _directory_entries(store) == 2
        _name(admin, unnamed, "")  # a name removed on the server is removed here
        client.sync_once()
        assert unnamed not in store.settings.office_names()
        assert store.audit.verify().ok

        with store.reading() as connection:
            token = state.token(connection)
        assert token is not None
        held = directory_digest(store.settings.office_names())
        older = _page(calm_server, token)  # a kiosk older than the directory: no such key at all
        assert "offices" not in older
        PageBody.model_validate(older)
        assert "offices" not in _page(calm_server, token, **{OFFICES_QUERY: held})  # it has the current one
        fresh = _page(calm_server, token, **{OFFICES_QUERY: directory_digest({})})  # it holds none
        listed = {entry["office_code"]: entry["name"] for entry in fresh["offices"]}
        assert listed == store.settings.office_names()
        bad = httpx.get(
            f"{calm_server.url}/v1/bookings",
            params={OFFICES_QUERY: "not-a-digest"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert bad.status_code == 422


def test_a_name_set_here_shows_until_the_server_names_the_office(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """`kiosk setup --office-name` (a kiosk without a server) is kept when the server names the office
    not; the server's name wins once it does."""
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, timeout_s=5) as client:
        store.settings.set_office_name(office, "Kantor Imigrasi Setempat", now())
        client.sync_once()
        assert store.settings.office_name() == "Kantor Imigrasi Setempat"
        _name(admin, office, SEMARANG)
        client.sync_once()
        assert store.settings.office_name() == SEMARANG
