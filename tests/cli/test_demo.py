"""`kiosk demo` (kiosk/cli/demo.py): the text demo on its own database, never a real one; the windows when
there is a screen, the text demo when there is none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.relay.serial_board import lcus_frame
from kiosk.relay.simulator import LcusSimulator
from kiosk.store import migrate
from kiosk.store.engine import make_engine
from tests.cli.helpers import Kiosk, booking_count, error_line, run_program

SAMPLE_LINE = re.compile(r"^  (\S+)\s+(ADMIT|DENY|REFER) (\w+)\s+(.+)$")


def demo_table(out: str) -> dict[str, tuple[str, str]]:
    """code -> (reason, title) from the demo's table of sample codes."""
    return {m[1]: (m[3], m[4]) for m in map(SAMPLE_LINE.match, out.splitlines()) if m}


def test_demo_text_mode_reads_codes_from_stdin(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    first = kiosk_cli("demo", "--text", "--seed", "7", "--at", "10:10")
    assert first.code == 0, first.err
    table = demo_table(first.out)
    wanted = {"OK", "TOO_EARLY", "TOO_LATE", "WRONG_DAY", "WRONG_OFFICE", "CANCELLED", "RESCHEDULED", "UNPAID"}
    assert wanted | {"NEEDS_OFFICER", "ALREADY_ADMITTED", "UNKNOWN_CODE", "NOT_A_BOOKING"} == {
        reason for reason, _ in table.values()
    }
    assert any("party of 3" in title for reason, title in table.values() if reason == "OK")
    assert {"3275014101900007", "https://www.imigrasi.go.id/"} <= set(table)

    # The same database again: the first run's codes still answer as the table said.
    codes = list(table)
    stdin = "\n".join([*codes, codes[0], "", "\x00\x1b[2J"]).encode() + b"\n\xff\xfe\n"
    second = kiosk_cli("demo", "--text", "--seed", "7", "--at", "10:10", stdin=stdin)
    assert second.code == 0, second.err
    answers = re.findall(r"^  reason:  (\w+)$", second.out, re.MULTILINE)
    expected = [table[code][0] for code in codes]
    # the fifth bad code in a row (unknown, NIK, URL, control characters, bytes) is a broker alert
    assert answers == [*expected, "ALREADY_ADMITTED", "NOT_A_BOOKING", "CODE_BURST"]
    assert second.out.count("  id:      ") == second.out.count("  en:      ") == len(answers)
    assert f"{len(answers)} code(s) checked" in second.out
    demo_db = tmp_path / "data" / "kiosk" / "demo" / "kiosk-demo.db"
    assert kiosk_cli("audit", "verify", "--db", str(demo_db)).code == 0


def test_demo_never_touches_a_real_database(db: Path, kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DB", str(db))
    before = booking_count(db)
    assert kiosk_cli("demo", "--text", "--at", "10:00").code == 0  # KIOSK_DB is not the demo's
    assert booking_count(db) == before
    refused = kiosk_cli("demo", "--text", "--db", str(db))
    assert "is not a demo database" in error_line(refused)
    assert booking_count(db) == before


def test_demo_does_not_upgrade_a_database_it_then_refuses(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, "0001")
    finally:
        engine.dispose()
    result = kiosk_cli("demo", "--text", "--db", str(path), "--at", "10:00")
    assert "needs an upgrade" in error_line(result)
    assert "schema version: 0001" in kiosk_cli("db", "status", "--db", str(path)).out


def test_demo_needs_room_for_every_sample(kiosk_cli: Kiosk) -> None:
    assert "between 03.00 and 21.00" in error_line(kiosk_cli("demo", "--text", "--at", "22:30"))


def test_as_a_program_the_demo_works_from_a_pipe(tmp_path: Path) -> None:
    done = run_program(tmp_path, "demo", "--text", "--at", "11:00", stdin=b"3275014101900007\n")
    assert done.returncode == 0, done.stderr
    assert "reason:  NOT_A_BOOKING" in done.stdout
    assert "en:      ENTRY NOT POSSIBLE - This is an ID number (NIK), not a booking QR." in done.stdout
    assert "Traceback" not in done.stderr


def test_demo_opens_the_windows_when_there_is_a_screen(tmp_path: Path) -> None:
    """`kiosk demo` (offscreen Qt here) runs both windows on the simulated camera and ends by itself."""
    done = run_program(tmp_path, "demo", "--seconds", "3")
    assert done.returncode == 0, done.stderr
    assert "Guard console: log in as 'Demo'" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_windowed_demo_drives_the_configured_relay(tmp_path: Path) -> None:
    """With a [relay] in kiosk.toml the demo opens that board (here the relay simulator on a
    pseudo-terminal): the relay's first act, switching the door's contact off, reaches the board."""
    with LcusSimulator(4) as board:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[relay]\ndriver = "lcus"\nport = "{board.path}"\nhold_ms = 300\n', encoding="utf-8")
        done = run_program(tmp_path, "--config", str(config), "demo", "--seconds", "3")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        board.wait_for(lambda b: lcus_frame(1, False) in b.frames)  # the demo's relay: this board, not a fake
        assert not any(board.contacts.values())  # and it left the door locked


def test_demo_without_a_screen_falls_back_to_the_text_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    done = run_program(tmp_path, "demo", "--at", "11:00", stdin=b"3275014101900007\n")
    assert done.returncode == 0, done.stderr
    assert "no screen" in done.stderr
    assert "NOT_A_BOOKING" in done.stdout
