"""`kiosk doctor` / `kiosk --self-test` (kiosk/cli/doctor.py): one line per part, exit 1 on any FAIL.

Real parts throughout: a kiosk database made by `kiosk setup`, the simulated camera, the bundled
self-test QR through the configured decoder, a relay board simulated on a pseudo-terminal, and a
real server on loopback for the server and clock check (its fault drill shifts the server's clock).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.relay.simulator import LcusSimulator
from kiosk.store.db import KioskStore
from kiosk.sync.client import enrol
from tests.cli.helpers import Kiosk
from tests.server.conftest import admin, backend, server, server_db
from tests.server.support import Admin, ServerProcess

__all__ = ["admin", "backend", "server", "server_db"]

PARTS = ["camera", "decoder", "database", "audit", "server", "disk", "sound", "relay"]


def _lines(out: str) -> dict[str, str]:
    """part -> its line's level (OK, WARN, FAIL)."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("OK", "WARN", "FAIL"):
            found[words[1]] = words[0]
    return found


@pytest.fixture
def fresh(tmp_path: Path, kiosk_cli: Kiosk) -> Path:
    path = tmp_path / "kiosk.db"
    assert kiosk_cli("setup", "--db", str(path), "--office", "DPS", "--zone", "WITA", "--gate", "G1").code == 0
    return path


def _config(tmp_path: Path, relay: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[relay]\n{relay}\n", encoding="utf-8")
    return path


def test_a_ready_kiosk_says_ready_with_a_line_per_part(fresh: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("--self-test", "--simulate", "--db", str(fresh))
    levels = _lines(result.out)
    assert list(levels) == PARTS, result.out
    assert levels["camera"] == levels["decoder"] == levels["database"] == levels["audit"] == "OK"
    assert levels["server"] == "WARN"  # not enrolled: decides alone; works, less well
    assert "not enrolled" in result.out and "sign the head daily" in result.out
    assert result.out.rstrip().endswith("ready") and result.code == 0


def test_the_doctor_command_is_the_self_test(fresh: Path, kiosk_cli: Kiosk) -> None:
    assert _lines(kiosk_cli("doctor", "--simulate", "--db", str(fresh)).out) == _lines(
        kiosk_cli("--self-test", "--simulate", "--db", str(fresh)).out
    )


def test_no_database_fails_with_what_to_do(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("doctor", "--simulate", "--db", str(tmp_path / "none.db"))
    levels = _lines(result.out)
    assert levels["database"] == levels["audit"] == levels["server"] == "FAIL"
    assert "kiosk setup --office" in result.out
    assert "NOT READY (database, audit, server)" in result.out and result.code == 1


def test_a_missing_camera_fails(fresh: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("doctor", "--camera", "/nonexistent/video9", "--db", str(fresh))
    assert _lines(result.out)["camera"] == "FAIL" and result.code == 1
    assert "no camera at '/nonexistent/video9'" in result.out


def test_a_broken_audit_chain_fails(fresh: Path, kiosk_cli: Kiosk) -> None:
    with KioskStore.open(fresh) as store, store.writing() as connection:
        connection.exec_driver_sql("UPDATE audit_log SET digest = 'x' WHERE seq = 1")
    result = kiosk_cli("doctor", "--simulate", "--db", str(fresh))
    assert _lines(result.out)["audit"] == "FAIL" and result.code == 1


def test_the_relay_board_answers_or_fails(tmp_path: Path, fresh: Path, kiosk_cli: Kiosk) -> None:
    with LcusSimulator(4) as board:
        config = _config(tmp_path, f'driver = "lcus"\nport = "{board.path}"\nchannel = 2')
        result = kiosk_cli("doctor", "--simulate", "--config", str(config), "--db", str(fresh))
        assert _lines(result.out)["relay"] == "OK", result.out
        assert f"LCUS USB relay board at {board.path} answers (channel 2)" in result.out
        assert [(s.channel, s.on) for s in board.switches] in ([], [(2, False)])  # only ever "keep it shut"
        assert not any(board.contacts.values())
        board.unplug()
        result = kiosk_cli("doctor", "--simulate", "--config", str(config), "--db", str(fresh))
    assert _lines(result.out)["relay"] == "FAIL" and result.code == 1
    assert board.path in result.out


def test_the_simulated_relay_driver(tmp_path: Path, fresh: Path, kiosk_cli: Kiosk) -> None:
    config = _config(tmp_path, 'driver = "simulated"')
    result = kiosk_cli("doctor", "--simulate", "--config", str(config), "--db", str(fresh))
    assert _lines(result.out)["relay"] == "OK" and "simulated LCUS relay board" in result.out


@pytest.fixture
def enrolled(tmp_path: Path, server: ServerProcess, admin: Admin) -> Iterator[Path]:
    path = tmp_path / "enrolled.db"
    office = f"DR{secrets.token_hex(2).upper()}"
    admin.office(office)
    with KioskStore.open(path) as store:
        enrol(store, server.url, admin.enrol(office, "G1"), "G1")
    yield path


def test_the_server_answers_and_the_clocks_agree(enrolled: Path, server: ServerProcess, kiosk_cli: Kiosk) -> None:
    server.calm()
    result = kiosk_cli("doctor", "--simulate", "--db", str(enrolled))
    assert _lines(result.out)["server"] == "OK", result.out
    assert f"{server.url} answers; clock offset" in result.out
    try:
        server.faults(rules=[], rate=0.0, clock_shift_s=600)  # the server's clock ten minutes ahead
        result = kiosk_cli("doctor", "--simulate", "--db", str(enrolled))
    finally:
        server.calm()
    assert _lines(result.out)["server"] == "FAIL" and result.code == 1
    assert "timedatectl set-ntp true" in result.out


def test_a_server_that_is_gone_fails(enrolled: Path, kiosk_cli: Kiosk) -> None:
    with KioskStore.open(enrolled) as store, store.writing() as connection:
        connection.exec_driver_sql(
            "UPDATE settings SET value = json_set(value, '$.server_url', 'http://127.0.0.1:9')"
            " WHERE key = 'sync.enrolled'"
        )
    result = kiosk_cli("doctor", "--simulate", "--db", str(enrolled))
    assert _lines(result.out)["server"] == "FAIL" and "does not answer" in result.out
