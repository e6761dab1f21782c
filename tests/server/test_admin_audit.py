"""The server's administrative log (kiosk/server/admin_audit.py) also records what is done from the
server's command line: the national signing keys are rotated and retired there only."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.server import admin_audit
from kiosk.server.cli import main
from kiosk.server.db import make_engine, reading


def test_rotating_and_retiring_a_key_are_logged_server_wide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "keys", "rotate"]) == 0
    new_key = capsys.readouterr().out.split("new active key ")[1].split(";")[0]
    engine = make_engine(db)
    try:
        with reading(engine) as connection:
            logged_key = next(e.target for e in admin_audit.entries(connection) if e.action == "keys.rotate")
            assert logged_key == new_key
        assert main(["--db", db, "keys", "list"]) == 0
        retired = [line.split()[0] for line in capsys.readouterr().out.splitlines() if "retiring" in line]
        assert retired
        assert main(["--db", db, "keys", "retire", retired[0]]) == 0
        with reading(engine) as connection:
            logged = [(e.action, e.office_code, e.actor.startswith("cli")) for e in admin_audit.entries(connection)]
    finally:
        engine.dispose()
    assert ("keys.rotate", None, True) in logged and ("keys.retire", None, True) in logged
