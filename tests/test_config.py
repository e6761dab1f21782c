"""The camera keys of kiosk.toml (kiosk/config.py); the rest is tested through the CLI (tests/cli)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.config import CameraConfig, ConfigError, parse_config

SOURCE = Path("/etc/kiosk/kiosk.toml")


@pytest.mark.parametrize(
    ("camera", "target", "search"),
    [
        ({}, 0, False),
        ({"index": 2}, 2, False),
        ({"device": "/dev/v4l/by-id/usb-Cam-video-index0", "index": 2}, "/dev/v4l/by-id/usb-Cam-video-index0", False),
        ({"search_other_cameras": True}, 0, True),
    ],
)
def test_which_camera(camera: dict[str, object], target: int | str, search: bool) -> None:
    config = parse_config({"camera": camera}, SOURCE)
    assert config.camera.target == target
    assert config.camera.search_other_cameras is search


@pytest.mark.parametrize(
    ("camera", "message"),
    [
        ({"device": ""}, "camera.device must be a device path"),
        ({"device": "/dev/video0\n"}, "camera.device must be a device path"),
        ({"search_other_cameras": "yes"}, "search_other_cameras"),
    ],
)
def test_bad_camera_keys_name_the_key(camera: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"camera": camera}, SOURCE)


def test_defaults_take_only_the_first_camera() -> None:
    assert CameraConfig().target == 0
    assert not CameraConfig().search_other_cameras


@pytest.mark.parametrize(
    ("sound", "spoken", "volume"),
    [({}, True, 0.8), ({"spoken": False}, False, 0.8), ({"volume": 0}, True, 0.0), ({"volume": 1}, True, 1.0)],
)
def test_sound(sound: dict[str, object], spoken: bool, volume: float) -> None:
    config = parse_config({"sound": sound}, SOURCE)
    assert (config.sound.spoken, config.sound.volume) == (spoken, volume)


@pytest.mark.parametrize("sound", [{"volume": 1.5}, {"volume": -0.1}, {"spoken": 1}, {"loud": True}])
def test_bad_sound_keys_name_the_key(sound: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="sound"):
        parse_config({"sound": sound}, SOURCE)


def test_the_relay_section_is_checked_by_the_relay_package() -> None:
    config = parse_config({"relay": {"driver": "lcus", "port": "/dev/ttyUSB0", "channel": 2}}, SOURCE)
    assert (config.relay.driver, config.relay.port, config.relay.channel) == ("lcus", "/dev/ttyUSB0", 2)
    assert parse_config({}, SOURCE).relay.driver == "none"
    with pytest.raises(ConfigError, match=r"/etc/kiosk/kiosk.toml: relay.port is needed"):
        parse_config({"relay": {"driver": "lcus"}}, SOURCE)
    with pytest.raises(ConfigError, match="relay must be a section"):
        parse_config({"relay": 3}, SOURCE)


SAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "kiosk.toml"


def test_the_sample_file_is_valid_and_names_every_key() -> None:
    """deploy/kiosk.toml is what an installer copies: it must parse, and show every key (set or commented)."""
    import tomllib

    from kiosk.config import _SCHEMA  # the keys the kiosk knows
    from kiosk.relay.board import RelaySettings

    text = SAMPLE.read_text(encoding="utf-8")
    config = parse_config(tomllib.loads(text), SAMPLE)
    assert config.relay.driver == "none" and config.camera.target == 0
    named = {line.lstrip("# ").split("=")[0].strip() for line in text.splitlines() if "=" in line}
    for section, keys in {**_SCHEMA, "relay": {f: None for f in RelaySettings.__dataclass_fields__}}.items():
        assert f"[{section}]" in text, section
        missing = set(keys) - named
        assert not missing, f"[{section}] keys not in deploy/kiosk.toml: {sorted(missing)}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"retention_days": 3}, "retention_days is outside any section; it belongs under [database]"),
        ({"volume": 0.5}, "volume is outside any section; it belongs under [sound]"),
        ({"colour": "red"}, "colour is outside any section (sections: database,"),
        ({"cameras": {"index": 1}}, "unknown section [cameras]"),
    ],
)
def test_a_key_outside_its_section_is_named_with_where_it_belongs(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(data, SOURCE)
