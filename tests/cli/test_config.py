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
