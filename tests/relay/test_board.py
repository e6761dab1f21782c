"""The `[relay]` section of kiosk.toml, hex command templates and choosing the driver (kiosk/relay/board.py)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from kiosk.relay.board import (
    RelayFault,
    RelaySettings,
    RelaySettingsError,
    command_bytes,
    parse_relay_settings,
)
from kiosk.relay.drivers import open_board
from kiosk.relay.gpio_board import GpioBoard
from kiosk.relay.serial_board import CommandBoard, LcusBoard, SimulatedBoard

SOURCE = "kiosk.toml"
USB = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({}, RelaySettings()),
        ({"driver": "none"}, RelaySettings(driver="none")),
        ({"driver": "simulated", "confirm": True}, RelaySettings(driver="simulated", confirm=True)),
        ({"driver": "lcus", "port": USB}, RelaySettings(driver="lcus", port=USB)),
        (
            {"driver": "lcus", "port": "COM3", "baud": 115200, "channel": 2, "hold_ms": 5000, "confirm": True},
            RelaySettings(driver="lcus", port="COM3", baud=115200, channel=2, hold_ms=5000, confirm=True),
        ),
        (
            {"driver": "lcus", "port": USB, "tower_green": 2, "tower_amber": 3, "tower_red": 4},
            RelaySettings(driver="lcus", port=USB, tower_green=2, tower_amber=3, tower_red=4),
        ),
        (
            {"driver": "serial-command", "port": USB, "on_command": "A0 {ch} 01 {sum}", "off_command": "a0 01 00 a1"},
            RelaySettings(driver="serial-command", port=USB, on_command="A0 {ch} 01 {sum}", off_command="a0 01 00 a1"),
        ),
        (
            {"driver": "gpiod", "port": "/dev/gpiochip0", "channel": 17, "active_low": True, "tower_red": 0},
            RelaySettings(driver="gpiod", port="/dev/gpiochip0", channel=17, active_low=True, tower_red=0),
        ),
        ({"timeout_ms": 50, "hold_ms": 12000}, RelaySettings(timeout_ms=50, hold_ms=12000)),
    ],
)
def test_good_settings(section: dict[str, Any], expected: RelaySettings) -> None:
    assert parse_relay_settings(section, SOURCE) == expected


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"chanel": 1}, "kiosk.toml: unknown key 'chanel' in [relay] (known: driver, port, "),
        ({"driver": "usb"}, "kiosk.toml: relay.driver must be one of none, simulated, lcus, serial-command, gpiod"),
        ({"driver": 1}, "kiosk.toml: relay.driver must be a string, not 1"),
        ({"channel": "1"}, "kiosk.toml: relay.channel must be a whole number, not '1'"),
        ({"channel": True}, "kiosk.toml: relay.channel must be a whole number, not True"),
        ({"confirm": 1}, "kiosk.toml: relay.confirm must be true or false, not 1"),
        ({"channel": 0}, "kiosk.toml: relay.channel must be a channel from 1 to 8, not 0"),
        ({"channel": 9}, "kiosk.toml: relay.channel must be a channel from 1 to 8, not 9"),
        (
            {"driver": "gpiod", "port": "/dev/gpiochip0", "channel": 1024},
            "kiosk.toml: relay.channel must be a GPIO line offset from 0 to 1023, not 1024",
        ),
        ({"driver": "lcus"}, "kiosk.toml: relay.port is needed with driver = 'lcus' (for example /dev/serial/by-id/"),
        ({"driver": "lcus", "port": "  "}, "kiosk.toml: relay.port is needed with driver = 'lcus'"),
        ({"driver": "gpiod"}, "kiosk.toml: relay.port is needed with driver = 'gpiod' (for example /dev/gpiochip0)"),
        ({"driver": "gpiod", "port": "gpiochip0"}, "kiosk.toml: relay.port must be the GPIO chip's path"),
        ({"baud": 9601}, "kiosk.toml: relay.baud must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200"),
        ({"hold_ms": 100}, "kiosk.toml: relay.hold_ms must be from 200 to 12000, not 100"),
        ({"hold_ms": 60000}, "kiosk.toml: relay.hold_ms must be from 200 to 12000, not 60000"),
        ({"timeout_ms": 0}, "kiosk.toml: relay.timeout_ms must be from 50 to 5000, not 0"),
        ({"tower_red": 12}, "kiosk.toml: relay.tower_red must be a channel from 1 to 8, not 12"),
        ({"tower_green": 1}, "kiosk.toml: relay.tower_green is 1, the same as relay.channel: each needs its own"),
        (
            {"tower_green": 2, "tower_red": 2},
            "kiosk.toml: relay.tower_red is 2, the same as relay.tower_green: each needs its own contact",
        ),
        (
            {"driver": "lcus", "port": USB, "active_low": True},
            'kiosk.toml: relay.active_low is only for driver = "gpiod"',
        ),
        ({"driver": "gpiod", "port": "/dev/gpiochip0", "confirm": True}, "kiosk.toml: relay.confirm needs a board"),
        ({"driver": "lcus", "port": USB, "on_command": "A0"}, 'relay.on_command is only for driver = "serial-command"'),
        (
            {"driver": "serial-command", "port": USB, "off_command": "A0 01 00 A1"},
            'kiosk.toml: relay.on_command is needed with driver = "serial-command"',
        ),
        (
            {"driver": "serial-command", "port": USB, "on_command": "A0 01 01 A2"},
            'kiosk.toml: relay.off_command is needed with driver = "serial-command"',
        ),
        (
            {"driver": "serial-command", "port": USB, "on_command": "A0 1 01", "off_command": "A0"},
            "kiosk.toml: relay.on_command has '1', which is not a hex byte (00 to FF), {ch} or {sum}",
        ),
        (
            {"driver": "serial-command", "port": USB, "on_command": "A0", "off_command": " "},
            "kiosk.toml: relay.off_command must hold at least one hex byte",
        ),
    ],
)
def test_bad_settings_name_the_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(RelaySettingsError) as caught:
        parse_relay_settings(section, SOURCE)
    assert str(caught.value).startswith(message) or message in str(caught.value)


def test_channels_are_the_door_then_the_tower() -> None:
    settings = RelaySettings(channel=3, tower_green=1, tower_red=5)
    assert settings.channels == (3, 1, 5)


@pytest.mark.parametrize(
    ("template", "channel", "expected"),
    [
        ("A0 01 01 A2", 1, bytes.fromhex("A00101A2")),
        ("A0 {ch} 01 {sum}", 2, bytes.fromhex("A00201A3")),
        ("A0 {ch} 00 {sum}", 8, bytes.fromhex("A00800A8")),
        ("0xFE 0x05 00 {ch}", 3, bytes.fromhex("FE050003")),
        ("ff {sum} {sum}", 1, bytes.fromhex("FFFFFE")),  # the low byte of the running sum
    ],
)
def test_command_bytes(template: str, channel: int, expected: bytes) -> None:
    assert command_bytes(template, channel) == expected


@pytest.mark.parametrize(
    ("template", "channel", "message"),
    [
        ("", 1, "must hold at least one hex byte"),
        ("A0 G1", 1, "has 'G1', which is not a hex byte"),
        ("A0 {channel}", 1, "has '{channel}', which is not a hex byte"),
        ("A0 {ch}", 256, "cannot put channel 256 in one byte"),
    ],
)
def test_bad_command_bytes(template: str, channel: int, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("{", r"\{").replace("}", r"\}")):
        command_bytes(template, channel)


def test_open_board_picks_the_driver_without_touching_the_device() -> None:
    assert open_board(RelaySettings()) is None
    lcus = open_board(RelaySettings(driver="lcus", port="/dev/does-not-exist", confirm=True))
    assert isinstance(lcus, LcusBoard)
    assert lcus.confirm
    assert lcus.description == "LCUS USB relay board at /dev/does-not-exist"
    assert not lcus.is_open  # opened at the first switch
    command = open_board(
        RelaySettings(driver="serial-command", port="COM3", on_command="A0 {ch} 01 {sum}", off_command="A0 01 00 A1")
    )
    assert isinstance(command, CommandBoard)
    assert command.description == "serial relay board at COM3"
    gpio = open_board(RelaySettings(driver="gpiod", port="/dev/gpiochip0", channel=17, tower_red=4))
    assert isinstance(gpio, GpioBoard)
    assert gpio.description == "GPIO relay on /dev/gpiochip0 line 4, 17"
    for board in (lcus, command, gpio):
        board.close()  # nothing was opened, nothing to switch off


def test_the_simulated_driver_runs_its_own_board_until_closed() -> None:
    board = open_board(RelaySettings(driver="simulated", confirm=True, tower_red=3))
    assert isinstance(board, SimulatedBoard)
    try:
        assert board.description.startswith("simulated LCUS relay board at /")
        board.set(1, True)
        assert board.simulator.contacts == {1: True, 2: False, 3: False}  # confirm: read back already
    finally:
        board.close()
    assert board.simulator.contacts[1] is False  # closing switches off what it switched on


@pytest.mark.parametrize(
    ("settings", "module", "package"),
    [
        (RelaySettings(driver="lcus", port="COM3"), "serial", "pyserial"),
        (RelaySettings(driver="simulated"), "serial", "pyserial"),
    ],
)
def test_a_missing_library_is_a_relay_fault(
    monkeypatch: pytest.MonkeyPatch, settings: RelaySettings, module: str, package: str
) -> None:
    monkeypatch.delitem(sys.modules, "kiosk.relay.serial_board")
    monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled package looks like to import
    with pytest.raises(RelayFault, match=f'the relay driver "{settings.driver}" needs the Python package {package}'):
        open_board(settings)


def test_the_relay_package_knows_no_qt_and_imports_drivers_only_when_asked() -> None:
    code = (
        "import sys\n"
        "import kiosk.relay.board\n"
        "assert 'serial' not in sys.modules and 'gpiod' not in sys.modules, 'drivers imported eagerly'\n"
        "import kiosk.relay.serial_board, kiosk.relay.gpio_board, kiosk.relay.simulator\n"
        "assert 'gpiod' not in sys.modules, 'gpiod imported before the lines are requested'\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'PySide6' or m.startswith(\n"
        "    ('kiosk.ui', 'kiosk.workers', 'kiosk.app', 'kiosk.cli', 'kiosk.store'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
