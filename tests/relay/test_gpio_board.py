"""The GPIO relay driver (kiosk/relay/gpio_board.py) against a fake libgpiod v2 module.

There is no GPIO hardware here, so `gpiod` is replaced at the edge (sys.modules) by a fake with the
real bindings' shape: `request_lines(path, config, consumer=...)` with LineSettings keyed by offsets
or tuples of offsets, `LineRequest.set_value/release`, and the real exceptions: FileNotFoundError for
a missing chip, OSError ENOTTY for a file that is not a chip, EBUSY for a line another program holds,
ValueError for an offset the chip does not have, RequestReleasedError after release, OSError ENODEV
when the chip goes away under a request. Two tests use the real bindings where no hardware is needed.
"""

from __future__ import annotations

import enum
import errno
import inspect
import os
import sys
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kiosk.relay.board import RelayFault
from kiosk.relay.gpio_board import GpioBoard

CHIP = "/dev/gpiochip0"


class Value(enum.Enum):
    INACTIVE = 0
    ACTIVE = 1


class Direction(enum.Enum):
    AS_IS = 1
    INPUT = 2
    OUTPUT = 3


@dataclass
class LineSettings:
    direction: Direction = Direction.AS_IS
    active_low: bool = False
    output_value: Value = Value.INACTIVE


class RequestReleasedError(Exception):
    def __init__(self) -> None:
        super().__init__("GPIO lines have been released")


class ChipClosedError(Exception):
    def __init__(self) -> None:
        super().__init__("I/O operation on closed chip")


@dataclass
class FakeChip:
    """One chip: its lines' physical levels (True = high) and who holds them."""

    num_lines: int = 32
    present: bool = True
    is_chip: bool = True
    levels: dict[int, bool] = field(default_factory=dict)
    held_by: dict[int, str] = field(default_factory=dict)
    requests: list[FakeRequest] = field(default_factory=list)


class FakeRequest:
    def __init__(self, chip: FakeChip, settings: dict[int, LineSettings], consumer: str | None) -> None:
        self.chip = chip
        self.settings = settings
        self.consumer = consumer
        self.released = False

    def set_value(self, line: int | str, value: Value) -> None:
        if self.released:
            raise RequestReleasedError()
        if not isinstance(line, int) or line not in self.settings:
            raise ValueError(f"unknown line name: {line}")
        if not self.chip.present:
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
        self.chip.levels[line] = (value is Value.ACTIVE) != self.settings[line].active_low

    def release(self) -> None:
        if not self.released:
            self.released = True
            for line in self.settings:
                self.chip.held_by.pop(line, None)  # the level stays as it was, as the kernel leaves it


class FakeGpiod(types.ModuleType):
    def __init__(self, chips: dict[str, FakeChip]) -> None:
        super().__init__("gpiod")
        self.chips = chips
        self.LineSettings = LineSettings
        self.RequestReleasedError = RequestReleasedError
        self.ChipClosedError = ChipClosedError
        self.line = types.SimpleNamespace(Value=Value, Direction=Direction)

    def request_lines(
        self,
        path: str,
        config: dict[Iterable[int | str] | int | str, LineSettings | None],
        consumer: str | None = None,
        event_buffer_size: int | None = None,
        output_values: dict[int | str, Value] | None = None,
    ) -> FakeRequest:
        chip = self.chips.get(path)
        if chip is None or not chip.present:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
        if not chip.is_chip:
            raise OSError(errno.ENOTTY, os.strerror(errno.ENOTTY))
        settings: dict[int, LineSettings] = {}
        for key, value in config.items():
            for offset in [key] if isinstance(key, int | str) else list(key):
                assert isinstance(offset, int), "the driver asks by offset"
                if offset >= chip.num_lines:
                    raise ValueError("line offset of out range")
                if offset in settings:
                    raise ValueError(f"line must be configured exactly once - offset {offset} repeats")
                settings[offset] = value or LineSettings()
        if any(offset in chip.held_by for offset in settings):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        request = FakeRequest(chip, settings, consumer)
        for offset, line in settings.items():
            chip.held_by[offset] = consumer or "?"
            if line.direction is Direction.OUTPUT:
                chip.levels[offset] = (line.output_value is Value.ACTIVE) != line.active_low
        chip.requests.append(request)
        return request


@pytest.fixture
def chips(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeChip]]:
    chips = {CHIP: FakeChip()}
    monkeypatch.setitem(sys.modules, "gpiod", FakeGpiod(chips))
    yield chips


def test_lines_are_requested_at_the_first_switch_as_outputs_that_start_off(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [17, 4])
    assert not board.is_open and not chips[CHIP].requests
    board.set(17, True)
    (request,) = chips[CHIP].requests
    assert request.consumer == "kiosk"
    assert set(request.settings) == {4, 17}
    assert all(s.direction is Direction.OUTPUT and s.output_value is Value.INACTIVE for s in request.settings.values())
    assert chips[CHIP].levels == {4: False, 17: True}
    board.set(17, False)
    assert chips[CHIP].levels[17] is False
    assert len(chips[CHIP].requests) == 1  # kept, not requested per switch
    board.close()
    assert request.released


def test_active_low_drives_the_line_low_for_on(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [5], active_low=True)
    board.set(5, True)
    assert chips[CHIP].requests[0].settings[5].active_low
    assert chips[CHIP].levels[5] is False
    board.set(5, False)
    assert chips[CHIP].levels[5] is True
    board.close()


def test_closing_switches_off_then_releases(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [1, 2])
    board.set(1, True)
    board.set(2, True)
    board.close()
    assert chips[CHIP].levels == {1: False, 2: False}  # released lines keep their level: so off first
    assert not chips[CHIP].held_by
    board.close()  # twice is fine


def test_a_missing_chip_then_the_chip_appears(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard("/dev/gpiochip7", [1])
    with pytest.raises(RelayFault) as caught:
        board.set(1, True)
    assert str(caught.value) == "the GPIO relay is not connected: there is no GPIO chip /dev/gpiochip7"
    chips["/dev/gpiochip7"] = FakeChip()
    board.set(1, True)
    assert chips["/dev/gpiochip7"].levels[1] is True
    board.close()


def test_a_line_held_by_another_program(chips: dict[str, FakeChip]) -> None:
    chips[CHIP].held_by[4] = "gpioset"
    board = GpioBoard(CHIP, [4])
    with pytest.raises(RelayFault) as caught:
        board.set(4, True)
    assert str(caught.value) == f"GPIO line 4 of {CHIP} is in use by another program"
    assert not board.is_open


def test_a_line_the_chip_does_not_have(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [40, 2])
    with pytest.raises(RelayFault) as caught:
        board.set(2, True)
    assert str(caught.value) == f"the GPIO chip {CHIP} does not have line 2, 40 (line offset of out range)"


def test_not_a_chip(chips: dict[str, FakeChip]) -> None:
    chips["/dev/ttyS0"] = FakeChip(is_chip=False)
    board = GpioBoard("/dev/ttyS0", [1])
    with pytest.raises(RelayFault, match=r"^/dev/ttyS0 is not a GPIO chip$"):
        board.set(1, True)


def test_the_chip_goes_away_under_the_request_and_comes_back(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [3])
    board.set(3, True)
    chips[CHIP].present = False  # a USB GPIO expander unplugged
    with pytest.raises(RelayFault) as caught:
        board.set(3, False)
    assert str(caught.value) == f"the GPIO chip {CHIP} has gone away (was it unplugged?)"  # ENODEV
    assert not board.is_open and chips[CHIP].requests[0].released
    with pytest.raises(RelayFault, match="there is no GPIO chip"):
        board.set(3, False)
    chips[CHIP] = FakeChip()
    board.set(3, True)
    assert chips[CHIP].levels[3] is True
    board.close()


def test_a_request_released_behind_the_boards_back(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [3])
    board.set(3, True)
    chips[CHIP].requests[0].release()
    with pytest.raises(RelayFault, match=f"^the GPIO relay on {CHIP} failed: GPIO lines have been released$"):
        board.set(3, False)
    board.set(3, False)  # requested again
    assert chips[CHIP].levels[3] is False
    board.close()


def test_a_channel_that_was_not_configured_is_a_bug(chips: dict[str, FakeChip]) -> None:
    board = GpioBoard(CHIP, [3])
    with pytest.raises(ValueError, match=r"line 4 was not configured \(lines \(3,\)\)"):
        board.set(4, True)
    with pytest.raises(ValueError, match="at least one line"):
        GpioBoard(CHIP, [])


def test_without_gpiod_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gpiod", None)
    board = GpioBoard(CHIP, [3])
    with pytest.raises(
        RelayFault, match=r"the GPIO relay needs the Python package gpiod>=2\.1, which is not installed"
    ):
        board.set(3, True)


@pytest.mark.parametrize(
    ("chip", "message"),
    [
        ("/dev/gpiochip-missing", "the GPIO relay is not connected: there is no GPIO chip /dev/gpiochip-missing"),
        ("/dev/null", "/dev/null is not a GPIO chip"),
    ],
)
def test_the_real_bindings_without_hardware(chip: str, message: str) -> None:
    pytest.importorskip("gpiod")
    board = GpioBoard(chip, [0])
    with pytest.raises(RelayFault) as caught:
        board.set(0, True)
    assert str(caught.value) == message


def test_the_fake_keeps_the_real_signature() -> None:
    gpiod: Any = pytest.importorskip("gpiod")
    real = list(inspect.signature(gpiod.request_lines).parameters)
    fake = list(inspect.signature(FakeGpiod({}).request_lines).parameters)
    assert fake == real
    assert {"direction", "active_low", "output_value"} <= set(inspect.signature(gpiod.LineSettings).parameters)
