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
    """part -> its line's level (OK, WARN, FAIL, SKIP)."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("OK", "WARN", "FAIL", "SKIP"):
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


def test_a_ready_kiosk_says_ready_with_a_line_per_part(db: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("--self-test", "--simulate", "--db", str(db))
    levels = _lines(result.out)
    assert list(levels) == PARTS, result.out
    assert levels["camera"] == levels["decoder"] == levels["database"] == levels["audit"] == "OK"
    assert levels["server"] == "WARN"  # not enrolled: decides alone; works, less well
    assert "no server configured (not enrolled)" in result.out and "sign the head daily" in result.out
    assert "no server configured to anchor it at" in result.out  # a valid set-up, not "not yet anchored"
    assert "not yet anchored" not in result.out
    assert result.out.splitlines()[-1].split(": ", 1)[1].startswith("ready") and result.code == 0


def test_no_bookings_is_said_plainly_but_does_not_fail(fresh: Path, kiosk_cli: Kiosk) -> None:
    """WARN, not FAIL: a new kiosk is checked before its first data; but it admits nobody until then."""
    result = kiosk_cli("doctor", "--simulate", "--db", str(fresh))
    assert _lines(result.out)["database"] == "WARN", result.out
    assert "no bookings: every code is unknown, so nobody is admitted" in result.out
    assert "kiosk import BOOKINGS.csv" in result.out
    assert result.out.splitlines()[-1].split(": ", 1)[1].startswith("ready") and result.code == 0
    assert "(a test set-up: the simulated camera; run without --simulate to check this PC's)" in result.out


def test_the_doctor_command_is_the_self_test(fresh: Path, kiosk_cli: Kiosk) -> None:
    assert _lines(kiosk_cli("doctor", "--simulate", "--db", str(fresh)).out) == _lines(
        kiosk_cli("--self-test", "--simulate", "--db", str(fresh)).out
    )


def test_no_database_fails_with_what_to_do(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("doctor", "--simulate", "--db", str(tmp_path / "none.db"))
    levels = _lines(result.out)
    assert levels["database"] == "FAIL"
    assert levels["audit"] == levels["server"] == "SKIP"  # could not run: the database's FAIL is the cause
    assert "not checked: the database cannot be opened" in result.out
    assert "kiosk setup --office" in result.out
    assert "NOT READY (database; not checked: audit, server)" in result.out and result.code == 1


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
        assert f"LCUS USB relay board at {board.path} answers: channel 2 reports off" in result.out
        assert "switching it on not tried (the doctor never opens the door)" in result.out
        assert "set confirm = true" in result.out  # it answers, but the kiosk would not ask it
        assert {(s.channel, s.on) for s in board.switches} <= {(2, False)}  # only ever "keep it shut"
        assert not any(board.contacts.values())
        board.unplug()
        result = kiosk_cli("doctor", "--simulate", "--config", str(config), "--db", str(fresh))
    assert _lines(result.out)["relay"] == "FAIL" and result.code == 1
    assert board.path in result.out and "ls /dev/serial/by-id" in result.out


def _relay(**values: object) -> list[str]:
    from kiosk.cli.doctor_relay import check_relay
    from kiosk.relay.board import RelaySettings

    simulators = bool(values.pop("simulators", False))
    return check_relay(RelaySettings(**values), simulators=simulators).lines()  # type: ignore[arg-type]


@pytest.mark.parametrize("confirm", [False, True])
def test_a_mute_board_is_unconfirmed_never_answers(confirm: bool) -> None:
    """Without confirm it may be an LCUS-1 (never answers): WARN, said plainly; with confirm the kiosk
    would go OUT OF ORDER at every admission: FAIL."""
    with LcusSimulator(4) as board:
        board.stop_answering()
        lines = _relay(driver="lcus", port=board.path, confirm=confirm, timeout_ms=100)
        assert not any(board.contacts.values())
    assert "answers" not in lines[0]
    if confirm:
        assert lines[0].startswith("FAIL  relay     no answer from the relay board")
        assert "needs confirm = false" in lines[1]
    else:
        assert lines[0].startswith("WARN  relay     ") and "but the board did not answer: UNCONFIRMED" in lines[0]
        assert "confirm = true" in lines[1] and "ls /dev/serial/by-id" not in lines[1]


@pytest.mark.parametrize("confirm", [False, True])
def test_a_contact_stuck_on_fails_with_its_own_hint(confirm: bool) -> None:
    from kiosk.relay.serial_board import LcusBoard

    with LcusSimulator(4) as board:
        left_on = LcusBoard(board.path)
        left_on.set(1, True)
        board.wait_for(lambda sim: sim.contacts[1])
        board.stick(1)
        left_on.close()
        lines = _relay(driver="lcus", port=board.path, confirm=confirm)
    assert lines[0].startswith("FAIL  relay     relay contact stuck: channel 1 stays on"), lines
    assert "replace the relay board" in lines[1] and "serial/by-id" not in lines[1]


def test_a_missing_gpio_chip_has_its_own_hint(tmp_path: Path) -> None:
    lines = _relay(driver="gpiod", port=str(tmp_path / "gpiochip9"))
    assert lines[0].startswith("FAIL  relay     "), lines
    assert ("ls /dev/gpiochip*" in lines[1]) or ("gpiod" in lines[0])  # without the gpiod package: that says so
    assert "serial/by-id" not in lines[1]


def test_the_pcs_own_serial_port_is_no_usb_board(tmp_path: Path) -> None:
    from kiosk.cli.doctor_relay import _builtin_serial_port

    (tmp_path / "relay").symlink_to("/dev/ttyS0")
    assert _builtin_serial_port(str(tmp_path / "relay")) and _builtin_serial_port("/dev/ttyS3")
    assert not _builtin_serial_port("/dev/ttyUSB0") and not _builtin_serial_port("COM3")


def test_the_simulated_relay_driver(tmp_path: Path, fresh: Path, kiosk_cli: Kiosk) -> None:
    """CI's self-test (scripts/test) runs with --simulate and driver = "simulated": a test set-up, OK."""
    config = _config(tmp_path, 'driver = "simulated"')
    result = kiosk_cli("doctor", "--simulate", "--config", str(config), "--db", str(fresh))
    assert _lines(result.out)["relay"] == "OK" and "\nOK    relay     simulated LCUS relay board" in result.out


def test_the_simulated_relay_on_a_real_kiosk_fails() -> None:
    lines = _relay(driver="simulated")
    assert lines[0].startswith("FAIL  relay     ") and "opens no door" in lines[0]
    assert 'driver = "simulated"' in lines[0] and '"none" when the guard lets people through' in lines[1]
    assert _relay(driver="simulated", simulators=True)[0].startswith("OK    relay     simulated LCUS relay board")


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


def test_a_tower_lamp_the_board_lacks_is_a_warning_naming_it(tmp_path: Path, fresh: Path, kiosk_cli: Kiosk) -> None:
    """A 2-channel board with lamps on 2, 3 and 4: the door works (not a FAIL), the tower does not all."""
    with LcusSimulator(2) as board:
        towers = "tower_green = 2\ntower_amber = 3\ntower_red = 4"
        config = _config(tmp_path, f'driver = "lcus"\nport = "{board.path}"\nchannel = 1\nconfirm = true\n{towers}')
        result = kiosk_cli("doctor", "--simulate", "--config", str(config), "--db", str(fresh))
        assert _lines(result.out)["relay"] == "WARN", result.out
        assert "tower lamp channel 3 (tower_amber)" in result.out and "tower lamp channel 4 (tower_red)" in result.out
        assert "tower lamp channel 2" not in result.out
        assert "tower_* must be channels of the board" in result.out
        assert not any(board.contacts.values()) and all(not s.on for s in board.switches)  # never the door ON
    assert result.out.splitlines()[-1].split(": ", 1)[1].startswith("ready") and result.code == 0


def test_tower_lamps_the_board_confirms_are_ok() -> None:
    with LcusSimulator(4) as board:
        lines = _relay(driver="lcus", port=board.path, confirm=True, tower_green=2, tower_amber=3, tower_red=4)
    assert lines[0].startswith("OK    relay     ") and "tower lamp channels 2, 3, 4 report off" in lines[0], lines
