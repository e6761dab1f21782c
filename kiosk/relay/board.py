"""What a relay board is to the kiosk, the `[relay]` section of kiosk.toml, and choosing the driver.

A board switches numbered contacts; it knows nothing of doors, persons or hold times (the Qt adapter
times the hold). Every failure is a `RelayFault` whose message says, in plain English, what is wrong
and where (the port or the GPIO chip), because it is shown to the guard as OUT OF ORDER and logged.

The drivers' native libraries (pyserial, gpiod) are imported only by `open_board` (drivers.py), for the driver the
file asks for: a kiosk without a gate, or with the simulated one, runs without them.

Example::

    [relay]
    driver = "lcus"        # "none" (default), "simulated", "lcus", "serial-command" or "gpiod"
    port = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"   # or COM3; /dev/gpiochip0 for gpiod
    baud = 9600
    channel = 1            # the door's contact (for gpiod: the line offset)
    hold_ms = 3000         # how long the door stays released for one person
    confirm = false        # lcus: read the contacts back after each switch (LCUS-4/8 answer; LCUS-1 does not)
    timeout_ms = 500       # the longest one switch may take: the write, and the board's answer
    # active_low = false   # gpiod: the relay module switches on a low line
    # on_command = "A0 {ch} 01 {sum}"   # serial-command: hex bytes; {ch} the channel, {sum} the sum so far
    # off_command = "A0 {ch} 00 {sum}"
    # tower_green = 2      # optional signal-tower lamps on further channels
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

Driver = Literal["none", "simulated", "lcus", "serial-command", "gpiod"]
DRIVERS: tuple[str, ...] = get_args(Driver)
SERIAL_DRIVERS = ("simulated", "lcus", "serial-command")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
#: Channels of the USB boards (LCUS-1 to LCUS-8); a GPIO "channel" is a line offset of the chip.
BOARD_CHANNELS = (1, 8)
GPIO_LINES = (0, 1023)
HOLD_MS = (200, 12000)
TIMEOUT_MS = (50, 5000)


class RelayFault(Exception):  # noqa: N818 - the name the Qt side and the messages use
    """The board did not do what it was told; str(fault) is a sentence for the guard and the log."""

    @property
    def message(self) -> str:
        return str(self)


class RelaySettingsError(ValueError):
    """A bad `[relay]` key; the message names the file and the key (kiosk.config wraps it)."""


class RelayBoard(Protocol):
    """A board of numbered contacts. Not thread-safe: one caller (the adapter's thread) at a time."""

    @property
    def description(self) -> str:
        """What and where, e.g. "LCUS USB relay board at /dev/ttyUSB0"."""
        ...

    def set(self, channel: int, on: bool) -> None:
        """Switch one contact; raise RelayFault when the board did not (or cannot say that it did)."""
        ...

    def close(self) -> None:
        """Switch off what this board switched on (as far as it can) and release the device."""
        ...


@dataclass(frozen=True, slots=True)
class RelaySettings:
    driver: Driver = "none"
    port: str | None = None
    baud: int = 9600
    channel: int = 1
    hold_ms: int = 3000
    active_low: bool = False
    on_command: str | None = None
    off_command: str | None = None
    tower_green: int | None = None
    tower_amber: int | None = None
    tower_red: int | None = None
    confirm: bool = False
    timeout_ms: int = 500

    @property
    def channels(self) -> tuple[int, ...]:
        """The door's channel, then the tower lamps' that are set."""
        towers = (self.tower_green, self.tower_amber, self.tower_red)
        return (self.channel, *(t for t in towers if t is not None))


_TYPES: dict[str, type] = {
    "driver": str,
    "port": str,
    "baud": int,
    "channel": int,
    "hold_ms": int,
    "active_low": bool,
    "on_command": str,
    "off_command": str,
    "tower_green": int,
    "tower_amber": int,
    "tower_red": int,
    "confirm": bool,
    "timeout_ms": int,
}
_TOWERS = ("tower_green", "tower_amber", "tower_red")


def parse_relay_settings(mapping: Mapping[str, Any], source: str | Path) -> RelaySettings:
    """Check the `[relay]` section key by key; RelaySettingsError names the file and the first bad key."""
    try:
        _check_types(mapping)
        values = {**{f.name: f.default for f in dataclasses.fields(RelaySettings)}, **mapping}
        _check_driver_and_port(values)
        _check_numbers(values)
        _check_driver_keys(values)
    except _BadKeyError as bad:
        key, why = bad.args
        raise RelaySettingsError(f"{source}: relay.{key} {why}" if key else f"{source}: {why}") from None
    return RelaySettings(**values)


class _BadKeyError(Exception):
    """(key, why) of a bad key, before the file's name is put in front."""


def _check_types(mapping: Mapping[str, Any]) -> None:
    for key, value in mapping.items():
        expected = _TYPES.get(key)
        if expected is None:
            raise _BadKeyError("", f"unknown key {key!r} in [relay] (known: {', '.join(_TYPES)})")
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise _BadKeyError(key, f"must be {_TYPE_WORDS[expected]}, not {value!r}")


def _check_driver_and_port(values: Mapping[str, Any]) -> None:
    driver, port = values["driver"], values["port"]
    if driver not in DRIVERS:
        raise _BadKeyError("driver", f"must be one of {', '.join(DRIVERS)}, not {driver!r}")
    if driver in ("lcus", "serial-command", "gpiod") and (port is None or not port.strip()):
        example = "/dev/gpiochip0" if driver == "gpiod" else "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0 or COM3"
        raise _BadKeyError("port", f"is needed with driver = {driver!r} (for example {example})")
    if driver == "gpiod" and not port.startswith("/"):
        raise _BadKeyError("port", f"must be the GPIO chip's path, such as /dev/gpiochip0, not {port!r}")


def _check_numbers(values: Mapping[str, Any]) -> None:
    if values["baud"] not in BAUD_RATES:
        raise _BadKeyError("baud", f"must be one of {', '.join(map(str, BAUD_RATES))}, not {values['baud']}")
    gpio = values["driver"] == "gpiod"
    low, high = GPIO_LINES if gpio else BOARD_CHANNELS
    what = "a GPIO line offset from" if gpio else "a channel from"
    seen: dict[int, str] = {}
    for key in ("channel", *_TOWERS):
        number = values[key]
        if number is None:
            continue
        if not low <= number <= high:
            raise _BadKeyError(key, f"must be {what} {low} to {high}, not {number}")
        if number in seen:
            raise _BadKeyError(key, f"is {number}, the same as relay.{seen[number]}: each needs its own contact")
        seen[number] = key
    for key, (least, most) in (("hold_ms", HOLD_MS), ("timeout_ms", TIMEOUT_MS)):
        if not least <= values[key] <= most:
            raise _BadKeyError(key, f"must be from {least} to {most}, not {values[key]}")


def _check_driver_keys(values: Mapping[str, Any]) -> None:
    driver = values["driver"]
    if values["active_low"] and driver != "gpiod":
        raise _BadKeyError("active_low", 'is only for driver = "gpiod"')
    if values["confirm"] and driver not in ("lcus", "simulated"):
        raise _BadKeyError("confirm", 'needs a board that reports its contacts (driver = "lcus" or "simulated")')
    for key in ("on_command", "off_command"):
        template = values[key]
        if driver != "serial-command":
            if template is not None:
                raise _BadKeyError(key, 'is only for driver = "serial-command"')
            continue
        if template is None:
            raise _BadKeyError(key, 'is needed with driver = "serial-command" (hex bytes, such as "A0 {ch} 01 {sum}")')
        try:
            command_bytes(template, values["channel"])
        except ValueError as exc:
            raise _BadKeyError(key, str(exc)) from None


_TYPE_WORDS: dict[type, str] = {str: "a string", int: "a whole number", bool: "true or false"}


def command_bytes(template: str, channel: int) -> bytes:
    """Hex bytes separated by spaces; `{ch}` is the channel, `{sum}` the low byte of the sum so far.

    "A0 {ch} 01 {sum}" on channel 2 gives A0 02 01 A3. ValueError says which token is wrong.
    """
    out = bytearray()
    tokens = template.split()
    if not tokens:
        raise ValueError("must hold at least one hex byte, such as A0 01 01 A2")
    for token in tokens:
        if token == "{ch}":
            if not 0 <= channel <= 0xFF:
                raise ValueError(f"cannot put channel {channel} in one byte")
            out.append(channel)
        elif token == "{sum}":
            out.append(sum(out) & 0xFF)
        else:
            digits = token[2:] if token.lower().startswith("0x") else token
            if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(f"has {token!r}, which is not a hex byte (00 to FF), {{ch}} or {{sum}}")
            out.append(int(digits, 16))
    return bytes(out)
