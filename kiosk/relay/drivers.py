"""Choosing the relay driver that `[relay] driver` names (kiosk/relay/board.py holds the settings).

Apart from board.py so that the drivers may import the settings and RelayFault from it without a
circle; the drivers' native libraries (pyserial, gpiod) load only here, for the driver asked for.
"""

from __future__ import annotations

from kiosk.relay.board import RelayBoard, RelayFault, RelaySettings


def open_board(settings: RelaySettings) -> RelayBoard | None:
    """The board the settings describe, not yet opened (the first `set` opens it); None for "none".

    RelayFault when the driver's library is missing. "simulated" starts a simulated LCUS board on a
    pseudo-terminal in this process (a thread; closing the board stops it).
    """
    if settings.driver == "none":
        return None
    timeout = settings.timeout_ms / 1000
    try:
        if settings.driver == "gpiod":
            from kiosk.relay.gpio_board import GpioBoard

            assert settings.port is not None  # parse_relay_settings insists
            return GpioBoard(settings.port, settings.channels, active_low=settings.active_low)
        from kiosk.relay.serial_board import CommandBoard, LcusBoard, SimulatedBoard

        if settings.driver == "simulated":
            return SimulatedBoard(channels=max(settings.channels), confirm=settings.confirm, timeout=timeout)

        assert settings.port is not None
        if settings.driver == "lcus":
            return LcusBoard(settings.port, baud=settings.baud, timeout=timeout, confirm=settings.confirm)
        assert settings.on_command is not None and settings.off_command is not None
        return CommandBoard(
            settings.port, settings.on_command, settings.off_command, baud=settings.baud, timeout=timeout
        )
    except ModuleNotFoundError as exc:
        library = {"serial": "pyserial", "gpiod": "gpiod>=2.1"}.get(exc.name or "", exc.name)
        raise RelayFault(
            f'the relay driver "{settings.driver}" needs the Python package {library}, which is not installed'
        ) from exc
