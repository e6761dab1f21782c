"""`kiosk config show` (kiosk/cli/config.py) and the configuration file it reads: every mistake named with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Kiosk, error_line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[office]\nerly_minutes = 3\n", "unknown key 'erly_minutes' in [office]"),
        ("[office\n", "is not valid TOML"),
        ("[office]\nzone = 'CET'\n", "not an Indonesian office time zone"),
        ("[office]\nearly_minutes = 'thirty'\n", "early_minutes has the wrong type"),
        ("[camera]\nindex = 99\n", "camera.index must be between 0 and 63"),
        ("[camera]\ndecoder = 'quirc'\n", "[camera] decoder must be one of zxing, zbar, auto, not 'quirc'"),
        ("[camera]\ndecoder_process = 'yes'\n", "decoder_process has the wrong type"),
        ("[printer]\nname = 'x'\n", "unknown section [printer]"),
    ],
)
def test_a_bad_configuration_file_is_named_with_its_key(
    tmp_path: Path, kiosk_cli: Kiosk, text: str, message: str
) -> None:
    config = tmp_path / "config" / "kiosk" / "kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text(text, encoding="utf-8")
    result = kiosk_cli("config", "show")
    assert result.code == 1
    assert message in error_line(result)
    assert str(config) in error_line(result)


def test_the_camera_section_chooses_the_decoder_and_where_it_runs(tmp_path: Path) -> None:
    from kiosk.config import CameraConfig, parse_config

    assert CameraConfig().decoder == "zxing" and CameraConfig().decoder_process
    config = parse_config({"camera": {"decoder": "zbar", "decoder_process": False}}, tmp_path / "kiosk.toml")
    assert (config.camera.decoder, config.camera.decoder_process) == ("zbar", False)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({}, (True, 300)),
        ({"check": False}, (False, 300)),
        ({"budget_ms": 50}, (True, 50)),
        ({"budget_ms": 2000}, (True, 2000)),
    ],
)
def test_the_online_section_sets_the_check_and_its_budget(
    tmp_path: Path, section: dict[str, object], expected: tuple[bool, int]
) -> None:
    from kiosk.config import parse_config

    online = parse_config({"online": section}, tmp_path / "kiosk.toml").online
    assert (online.check, online.budget_ms) == expected


@pytest.mark.parametrize("budget", [0, 49, 2001, 8000])
def test_an_online_budget_out_of_range_is_refused(tmp_path: Path, budget: int) -> None:
    from kiosk.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match=r"online\.budget_ms must be between 50 and 2000"):
        parse_config({"online": {"budget_ms": budget}}, tmp_path / "kiosk.toml")


def test_a_missing_configuration_file_named_explicitly(kiosk_cli: Kiosk) -> None:
    assert "no configuration file at nope.toml" in error_line(kiosk_cli("--config", "nope.toml", "config", "show"))


SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "kiosk.toml"


def _sample_config(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    """deploy/kiosk.toml copied where the kiosk looks for it (docs/install.md, section 3)."""
    text = SAMPLE.read_text(encoding="utf-8")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    config = tmp_path / "config" / "kiosk" / "kiosk.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    return config


def _setup_as_documented(kiosk_cli: Kiosk, db: Path) -> None:
    args = ("setup", "--db", str(db), "--office", "DPS", "--zone", "WITA", "--kiosk-id", "KIOSK-1", "--gate", "G1")
    assert kiosk_cli(*args).code == 0


def test_the_documented_install_agrees_with_its_file(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    """Copy the sample, `kiosk setup` as docs/install.md says: nothing differs (refer_categories is a set)."""
    _sample_config(tmp_path)
    db = tmp_path / "kiosk.db"
    _setup_as_documented(kiosk_cli, db)
    out = kiosk_cli("config", "show", "--db", str(db)).out
    assert "differs" not in out, out
    assert "refer_categories=['priority', 'lost_passport']" in out  # the file's order ...
    assert "refer_categories=['lost_passport', 'priority']" in out  # ... and the database's: the same set


def test_a_real_difference_is_still_shown(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    db = tmp_path / "kiosk.db"
    _setup_as_documented(kiosk_cli, db)
    _sample_config(tmp_path, ("late_minutes = 60 ", "late_minutes = 90 "))
    assert (
        "(differs from the file: run `kiosk setup` to apply the file)"
        in kiosk_cli("config", "show", "--db", str(db)).out
    )
    assert kiosk_cli("setup", "--db", str(db)).code == 0
    assert "differs" not in kiosk_cli("config", "show", "--db", str(db)).out


def test_an_enrolled_kiosk_is_not_told_to_apply_the_file(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    """After `kiosk sync enrol` the server sets id, office and rules: `kiosk setup` is not the advice."""
    import datetime as dt

    from kiosk.store import settings
    from kiosk.store.db import KioskStore
    from kiosk.store.parts.settings import SYNC_ENROLLED
    from kiosk.sync.state import Enrolment

    _sample_config(tmp_path, ('# id = "KIOSK-1"', 'id = "KIOSK-1"'))  # the old sample's live id
    db = tmp_path / "kiosk.db"
    _setup_as_documented(kiosk_cli, db)
    now = dt.datetime(2027, 3, 15, tzinfo=dt.UTC)
    with KioskStore.open(db) as store:
        with store.writing() as connection:
            enrolled = Enrolment("https://server.example", "DPS-K7", "DPS", "2027-03-15T00:00:00Z")
            settings.put(connection, SYNC_ENROLLED, enrolled.to_json())
        store.settings.configure(settings.Identity("DPS-K7", "G1", "DPS"), store.settings.rules(), now)
    out = kiosk_cli("config", "show", "--db", str(db)).out
    assert "kiosk DPS-K7, gate G1, office DPS" in out
    assert "enrolled with https://server.example: the server sets the kiosk id, office and rules" in out
    assert "the server's are in effect" in out and "run `kiosk setup`" not in out


def test_config_show_prints_every_section(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    device = "/dev/v4l/by-id/usb-Logitech_C920_ABCD1234-video-index0"
    config = _sample_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace(f'# device = "{device}"', f'device = "{device}"')
    text = text.replace('driver = "none" ', 'driver = "lcus"\nport = "/dev/serial/by-id/usb-1a86-port0" ')
    config.write_text(text.replace("spoken = true", "spoken = false"), encoding="utf-8")
    lines = {line.split(":")[0]: line for line in kiosk_cli("config", "show").out.splitlines()}
    assert f"device {device}, 1280x720" in lines["camera"] and "index 0" not in lines["camera"]
    assert "device" in lines["camera"].split("[file: ")[1]
    assert lines["decoder"].startswith("decoder:            zxing, in a child process [file: decoder, decoder_process]")
    assert "tones only, volume 0.8 [file: spoken, volume]" in lines["sound"]
    relay = lines["relay"]
    assert "driver lcus, port /dev/serial/by-id/usb-1a86-port0 at 9600 baud, channel 1, hold 3000 ms" in relay
    assert "confirm off, timeout 500 ms" in relay and "[file: " in relay
    config.write_text("[relay]\ndriver = 'simulated'\n", encoding="utf-8")
    lines = {line.split(":")[0]: line for line in kiosk_cli("config", "show").out.splitlines()}
    assert "SIMULATED: opens no door [file: driver]" in lines["relay"]
    assert lines["camera"].endswith("index 0, 1280x720") and "none: no door relay" not in lines["relay"]
