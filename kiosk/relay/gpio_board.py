"""A relay module on GPIO lines (libgpiod v2's Python bindings, `gpiod>=2.1`): one line per channel.

All of gpiod's quirks live here. A channel is the line's offset on the chip (`port`, such as
/dev/gpiochip0). The lines are requested at the first switch, as outputs that start inactive (door
locked), and kept; any error releases them and the next switch requests them again. Many relay modules
switch on a low line: `active_low` makes "on" drive the line low. gpiod is imported when the lines are
first requested, so a kiosk that does not use GPIO does not need it.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kiosk.relay.board import RelayFault

if TYPE_CHECKING:
    import gpiod

log = logging.getLogger(__name__)

CONSUMER = "kiosk"


class GpioBoard:
    """Output lines of one GPIO chip as relay channels; see the module docstring."""

    def __init__(self, chip: str, channels: Iterable[int], *, active_low: bool = False) -> None:
        self.chip = chip
        self.channels = tuple(sorted(set(channels)))
        if not self.channels:
            raise ValueError("a GPIO relay board needs at least one line")
        self.active_low = active_low
        self._request: gpiod.LineRequest | None = None
        self._maybe_on: set[int] = set()

    @property
    def description(self) -> str:
        return f"GPIO relay on {self.chip} line {self._lines()}"

    def _lines(self) -> str:
        return ", ".join(map(str, self.channels))

    @property
    def is_open(self) -> bool:
        return self._request is not None

    def set(self, channel: int, on: bool) -> None:
        if channel not in self.channels:
            raise ValueError(f"line {channel} was not configured (lines {self.channels})")
        self._maybe_on.add(channel)
        opening = self._request is None
        try:
            import gpiod

            request = self._open()
            request.set_value(channel, gpiod.line.Value.ACTIVE if on else gpiod.line.Value.INACTIVE)
        except ModuleNotFoundError as exc:
            raise RelayFault("the GPIO relay needs the Python package gpiod>=2.1, which is not installed") from exc
        except (OSError, ValueError, gpiod.RequestReleasedError, gpiod.ChipClosedError) as exc:
            self._drop()
            raise RelayFault(self._explain(exc, channel, opening)) from exc
        if not on:
            self._maybe_on.discard(channel)

    def close(self) -> None:
        """Drive every line inactive (door locked), then release them: gpiod leaves a released line as it is."""
        if self._request is not None and self._maybe_on:
            for channel in sorted(self._maybe_on):
                try:
                    self.set(channel, False)
                except RelayFault as exc:
                    log.warning("could not switch off GPIO line %d at exit: %s", channel, exc)
        self._drop()

    def _open(self) -> gpiod.LineRequest:
        if self._request is None:
            import gpiod

            settings = gpiod.LineSettings(
                direction=gpiod.line.Direction.OUTPUT,
                active_low=self.active_low,
                output_value=gpiod.line.Value.INACTIVE,
            )
            self._request = gpiod.request_lines(self.chip, consumer=CONSUMER, config={self.channels: settings})
            log.info("requested %s", self.description)
        return self._request

    def _drop(self) -> None:
        request, self._request = self._request, None
        if request is not None:
            try:
                request.release()
            except Exception as exc:  # already released, or the chip is gone: nothing left to free
                log.debug("releasing %s: %s", self.chip, exc)

    def _explain(self, exc: BaseException, channel: int, opening: bool) -> str:
        number = getattr(exc, "errno", None)
        if number == errno.ENOENT:
            return f"the GPIO relay is not connected: there is no GPIO chip {self.chip}"
        if number in (errno.EACCES, errno.EPERM):
            return f"no permission to use the GPIO chip {self.chip} (is the kiosk user in group gpio?)"
        if number == errno.EBUSY:
            return f"GPIO line {channel} of {self.chip} is in use by another program"
        if number in (errno.ENODEV, errno.ENOTTY, errno.EIO) and not opening:
            return f"the GPIO chip {self.chip} has gone away (was it unplugged?)"
        if number in (errno.ENODEV, errno.ENOTTY):
            return f"{self.chip} is not a GPIO chip"
        if isinstance(exc, ValueError):
            return f"the GPIO chip {self.chip} does not have line {self._lines()} ({exc})"
        if isinstance(exc, OSError):
            return f"the GPIO relay on {self.chip} failed: {exc.strerror or exc}"
        return f"the GPIO relay on {self.chip} failed: {exc}"
