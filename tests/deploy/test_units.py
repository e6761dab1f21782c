"""The systemd units in deploy/systemd, checked by systemd itself (`systemd-analyze verify`).

verify also checks that ExecStart's program exists and is executable, so each unit is verified as an
installer would place it: the same file with its install prefix (/opt/...) moved into a temporary
folder that holds an executable at that path. Nothing else in the unit changes.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"


def _installed_copy(unit: str, tmp_path: Path) -> Path:
    text = (UNITS / unit).read_text(encoding="utf-8")
    prefix = tmp_path / "root"
    for line in text.splitlines():
        if line.startswith("ExecStart="):
            program = Path(prefix.as_posix() + line.removeprefix("ExecStart=").split()[0])
            program.parent.mkdir(parents=True, exist_ok=True)
            program.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
            program.chmod(program.stat().st_mode | stat.S_IXUSR)
    copy = tmp_path / unit
    copy.write_text(text.replace("/opt/", f"{prefix.as_posix()}/opt/"), encoding="utf-8")
    return copy


def _verify(unit: Path, *, user: bool, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd (scripts/bootstrap installs it)"
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    argv = [analyze, "verify", *(["--user"] if user else []), str(unit)]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.mark.parametrize(("unit", "user"), [("kiosk.service", True), ("kiosk-server.service", False)])
def test_systemd_accepts_the_unit_without_a_warning(unit: str, user: bool, tmp_path: Path) -> None:
    done = _verify(_installed_copy(unit, tmp_path), user=user, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # an unknown or misspelt key is only a warning


def test_a_misspelt_key_would_be_caught(tmp_path: Path) -> None:
    copy = _installed_copy("kiosk.service", tmp_path)
    copy.write_text(copy.read_text(encoding="utf-8").replace("Restart=always", "Restart=always\nRestrat=always"))
    assert "Unknown key" in _verify(copy, user=True, tmp_path=tmp_path).stderr


def _settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / unit).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_kiosk_restarts_always_and_is_watched() -> None:
    kiosk = _settings("kiosk.service")
    assert kiosk["Type"] == ["notify"] and kiosk["Restart"] == ["always"]
    assert int(kiosk["WatchdogSec"][0]) >= 10
    command = kiosk["ExecStart"][0].split()
    assert command[-1] == "run" and "--windowed" not in command  # kiosk mode: fullscreen, PIN to leave


def test_the_server_runs_as_its_own_user_and_hardened(tmp_path: Path) -> None:
    server = _settings("kiosk-server.service")
    assert server["User"] == ["kiosk-server"]
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictSUIDSGID"):
        assert server[key] == ["yes"], key
    assert server["ProtectSystem"] == ["strict"] and server["CapabilityBoundingSet"] == [""]
    analyze = shutil.which("systemd-analyze")
    assert analyze
    copy = _installed_copy("kiosk-server.service", tmp_path)
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # exposure 2.0 or lower ("OK")
