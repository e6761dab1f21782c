"""Health at the centre (issue 16, item 4): each kiosk's last contact and newest health on the server,
judged by `kiosk server kiosks` (SILENT, UNHEALTHY), on SQLite and PostgreSQL; the schema upgrade that
brought the table. The kiosk's side (what it sends) is tests/sync/test_health.py; a stopped sync seen
as silent, tests/workers/test_sync_worker.py."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select, text, update

from kiosk.protocol.schema import EnrolResponse, KioskHealth
from kiosk.server import health, kiosks
from kiosk.server.cli import main
from kiosk.server.db import ServerDbError, init_schema, make_engine, reading, utc_text, writing
from kiosk.server.models import SCHEMA_VERSION, KioskHealthRow, MetaRow
from tests.server.support import Admin, ServerProcess, fresh_database, now

GIB = 1024**3
LIMITS = health.Limits()


def healthy(**fields: Any) -> KioskHealth:
    values: dict[str, Any] = {
        "version": "0.1.0",
        "uptime_s": 7200,
        "camera_ok": True,
        "camera": "USB camera 0",
        "decoder": "zxing-cpp",
        "decoder_process": True,
        "relay_state": "closed",
        "relay": "LCUS relay on /dev/ttyUSB0",
        "faults": [],
        "data_age_s": 61,
        "clock_offset_s": 0.2,
        "free_disk_bytes": 20 * GIB,
        "unanchored_audit": 0,
        "outbox_pending": 0,
    }
    values.update(fields)
    return KioskHealth.model_validate(values)


# --- judging a health (no server) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, []),
        ({"camera_ok": False, "camera": "not connected", "faults": ["camera"]}, ["camera: not connected"]),
        ({"relay_state": "fault", "faults": ["gate"]}, ["relay: fault"]),
        (
            {"relay_state": "fault", "relay_fault": "the relay board is not connected"},
            ["relay: fault: the relay board is not connected"],
        ),
        ({"faults": ["database"]}, ["database: fault"]),
        ({"free_disk_bytes": int(0.4 * GIB)}, ["disk: 0.4 GiB free"]),
        ({"data_age_s": 2 * 3600 + 5}, ["data 2 h old"]),
        ({"data_age_s": None}, ["data: no complete download yet"]),
        ({"data_age_s": -30}, ["data: from the future (clock set back?)"]),
        ({"clock_offset_s": -300.0}, ["clock -300 s off"]),
        ({"camera_ok": None, "camera": "", "relay_state": None, "free_disk_bytes": None}, []),  # `kiosk sync now`
        (
            {"camera_ok": False, "camera": "not connected", "free_disk_bytes": 0},
            ["camera: not connected", "disk: 0.0 GiB free"],
        ),
    ],
)
def test_problems_of_a_health(fields: dict[str, Any], expected: list[str]) -> None:
    assert health.problems_of(healthy(**fields), 15, LIMITS) == expected


def test_data_age_is_judged_by_the_office_rule() -> None:
    twenty_minutes = healthy(data_age_s=20 * 60)
    assert health.problems_of(twenty_minutes, 15, LIMITS) == ["data 20 min old"]
    assert health.problems_of(twenty_minutes, 30, LIMITS) == []


def test_silent_after_the_limit_and_only_when_active() -> None:
    contact = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    row = SimpleNamespace(last_contact_at=utc_text(contact), health=healthy().model_dump_json())
    at = {minutes: contact + dt.timedelta(minutes=minutes) for minutes in (0, 3, 15, 16)}
    assert health.judge(row, "active", 15, at[0], LIMITS).last_contact == "just now"
    fresh = health.judge(row, "active", 15, at[3], LIMITS)
    assert (fresh.last_contact, fresh.health, fresh.mark, fresh.uptime) == ("3 min ago", "ok", "", "2 h")
    assert health.judge(row, "active", 15, at[15], LIMITS).mark == ""  # older than, not as old as
    assert health.judge(row, "active", 15, at[16], LIMITS).mark == "SILENT"
    assert health.judge(row, "revoked", 15, at[16], LIMITS).mark == ""
    shorter = health.Limits(silent_after=dt.timedelta(minutes=2))
    assert health.judge(row, "active", 15, at[3], shorter).mark == "SILENT"
    never = health.judge(None, "active", 15, at[0], LIMITS)
    assert (never.last_contact, never.health, never.mark) == ("never", "-", "SILENT")
    assert health.judge(None, "pending", 15, at[0], LIMITS).mark == ""
    sick = SimpleNamespace(last_contact_at=row.last_contact_at, health=healthy(relay_state="fault").model_dump_json())
    assert health.judge(sick, "active", 15, at[16], LIMITS).mark == "SILENT UNHEALTHY"
    old = SimpleNamespace(last_contact_at=row.last_contact_at, health=None)  # a kiosk older than the health
    assert health.judge(old, "active", 15, at[3], LIMITS).health == "-"


# --- the schema upgrade ------------------------------------------------------------------------------


def test_a_version_1_database_gains_the_table(backend: str, tmp_path: Path) -> None:
    """Version 1 had no kiosk_health: init makes it, keeps every row, and records this server's version
    (3 since offices.name: tests/server/test_offices.py). A database of a newer server is refused before
    anything is created in it."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            init_schema(engine)
            admin = Admin(url)
            office = admin.office()
            admin.enrol(office)
            admin.close()
            with writing(engine) as connection:
                connection.execute(text("DROP TABLE kiosk_health"))
                connection.execute(update(MetaRow).where(MetaRow.key == "schema_version").values(value="1"))
            engine.dispose()
            assert not inspect(engine).has_table("kiosk_health")
            init_schema(engine)
            assert inspect(engine).has_table("kiosk_health")
            with reading(engine) as connection:
                version = connection.execute(select(MetaRow.value).where(MetaRow.key == "schema_version")).scalar()
                assert version == str(SCHEMA_VERSION) == "3"
                assert [row["office"] for row in kiosks.listing(connection)] == [office]
            with writing(engine) as connection:
                connection.execute(text("DROP TABLE kiosk_health"))
                connection.execute(update(MetaRow).where(MetaRow.key == "schema_version").values(value="4"))
            engine.dispose()
            with pytest.raises(ServerDbError, match="schema version 4"):
                init_schema(engine)
            assert not inspect(engine).has_table("kiosk_health")
        finally:
            engine.dispose()


# --- over HTTP ---------------------------------------------------------------------------------------


def _enrolled(server: ServerProcess, admin: Admin) -> tuple[str, str, dict[str, str]]:
    office = admin.office()
    answer = httpx.post(f"{server.url}/v1/enrol", json={"token": admin.enrol(office), "gate": "G1"})
    assert answer.status_code == 200, answer.text
    enrolled = EnrolResponse.model_validate_json(answer.content)
    return office, enrolled.kiosk_id, {"Authorization": f"Bearer {enrolled.device_token}"}


def _upload(server: ServerProcess, headers: dict[str, str], with_health: KioskHealth | None) -> None:
    batch: dict[str, Any] = {"events": [], "audit_head": {"seq": 0, "hash": "0" * 64}, "outbox_pending": 0}
    if with_health is not None:
        batch["health"] = with_health.model_dump(mode="json")
    response = httpx.post(f"{server.url}/v1/events", json=batch, headers=headers)
    assert response.status_code == 200, response.text


def _row(admin: Admin, kiosk_id: str) -> Any:
    with reading(admin.engine) as connection:
        return connection.execute(select(KioskHealthRow).where(KioskHealthRow.kiosk_id == kiosk_id)).one()


def _listed(admin: Admin, office: str, at: dt.datetime | None = None) -> dict[str, str]:
    with reading(admin.engine) as connection:
        (row,) = kiosks.listing(connection, office, now=at or now())
    return row


def test_contacts_and_the_newest_health(calm_server: ServerProcess, admin: Admin) -> None:
    """Enrolment, every upload and every online check are contacts; an upload with a health replaces the
    one kept, an upload without one (a kiosk older than the field) keeps it."""
    office, kiosk_id, headers = _enrolled(calm_server, admin)
    assert _row(admin, kiosk_id).last_contact == "enrol" and _row(admin, kiosk_id).health is None
    listed = _listed(admin, office)
    assert (listed["health"], listed["mark"]) == ("-", "")
    _upload(calm_server, headers, healthy())
    first = _row(admin, kiosk_id)
    assert first.last_contact == "upload" and KioskHealth.model_validate_json(first.health) == healthy()
    listed = _listed(admin, office)
    assert (listed["health"], listed["mark"], listed["version"], listed["uptime"]) == ("ok", "", "0.1.0", "2 h")
    _upload(calm_server, headers, healthy(camera_ok=False, camera="the camera is not connected", faults=["camera"]))
    listed = _listed(admin, office)
    assert (listed["health"], listed["mark"]) == ("camera: the camera is not connected", "UNHEALTHY")
    _upload(calm_server, headers, None)  # an older kiosk's upload: the contact moves, the health stays
    later = _row(admin, kiosk_id)
    assert later.last_contact_at > first.last_contact_at and later.health_at < later.last_contact_at
    assert _listed(admin, office)["mark"] == "UNHEALTHY"
    check = {"event_uuid": str(uuid.uuid4()), "payload": "NOSUCHCODE1", "gate": "G1", "occurred_at": now().isoformat()}
    assert httpx.post(f"{calm_server.url}/v1/check", json=check, headers=headers).status_code == 200
    assert _row(admin, kiosk_id).last_contact == "check"
    moved = now() + dt.timedelta(minutes=16)
    assert _listed(admin, office, moved)["mark"] == "SILENT UNHEALTHY"


def test_a_refused_upload_is_no_contact_and_keeps_the_health(calm_server: ServerProcess, admin: Admin) -> None:
    _, kiosk_id, headers = _enrolled(calm_server, admin)
    _upload(calm_server, headers, healthy())
    before = _row(admin, kiosk_id)
    bad = {"events": [], "audit_head": {"seq": 0, "hash": "0" * 64}, "health": {"version": "0.1.0", "camera": "\x00"}}
    assert httpx.post(f"{calm_server.url}/v1/events", json=bad, headers=headers).status_code == 422
    calm_server.faults(rules=[{"kind": "500", "path": "/v1/events", "count": 1}])
    failed = httpx.post(f"{calm_server.url}/v1/events", json={**bad, "health": healthy().model_dump()}, headers=headers)
    assert failed.status_code == 500
    assert _row(admin, kiosk_id) == before


def test_the_command_marks_a_kiosk_silent_by_the_server_clock(
    calm_server: ServerProcess, admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kiosk server kiosks` on a contact the server noted 20 minutes ago (its clock shifted back for the
    contact, as the fault drills do): SILENT, and `--check` exits 1; a longer silence limit clears it."""
    office, kiosk_id, headers = _enrolled(calm_server, admin)
    calm_server.faults(clock_shift_s=-20 * 60)
    try:
        _upload(calm_server, headers, healthy(free_disk_bytes=int(0.4 * GIB)))
    finally:
        calm_server.calm()

    def listed(*options: str, status: int = 0) -> str:
        assert main(["--db", calm_server.db_url, "kiosks", "--office", office, *options]) == status
        return capsys.readouterr().out

    shown = listed()
    header, line = shown.splitlines()[:2]
    assert header.split()[:9] == [
        "kiosk_id", "office", "gate", "label", "state", "last_contact", "mark", "health", "version",
    ]  # fmt: skip
    assert kiosk_id in line and "20 min ago" in line and "SILENT UNHEALTHY" in line and "disk: 0.4 GiB free" in line
    assert f"1 of 1 kiosk(s) need a look: {kiosk_id} SILENT UNHEALTHY" in shown
    listed("--check", status=1)
    assert "SILENT" not in listed("--silent-minutes", "30", "--min-free-gib", "0.25").split("\n", 1)[1]
    listed("--silent-minutes", "30", "--min-free-gib", "0.25", "--check", status=0)
    _upload(calm_server, headers, healthy())
    assert "need a look" not in listed("--check")
