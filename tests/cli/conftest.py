"""Fixtures for the command-line tests: own data and config folders for every test, `kiosk` run
in-process, and a kiosk database for the test office (tests/cli/helpers.py)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from kiosk import cli
from tests.cli.helpers import ROWS, Kiosk, Run, write_csv


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data and config folders inside the test's tmp_path; no database or config from the environment."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_DB", raising=False)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def kiosk_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Kiosk:
    """Run `kiosk ARGS` in-process with `stdin` bytes; never a traceback on stderr."""

    def run(*args: str, stdin: bytes = b"") -> Run:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        code = cli.main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def db(tmp_path: Path, kiosk_cli: Kiosk) -> Path:
    """A kiosk database for office DPS (WITA) at gate G1, with ROWS imported."""
    path = tmp_path / "kiosk.db"
    assert kiosk_cli("setup", "--db", str(path), "--office", "DPS", "--zone", "WITA", "--gate", "G1").code == 0
    export = write_csv(tmp_path / "bookings.csv", ROWS)
    result = kiosk_cli("import", "--db", str(path), str(export))
    assert result.code == 0, result.err
    return path
