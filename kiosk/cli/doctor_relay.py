"""`kiosk doctor`'s relay line: what the board confirms, and never more.

The doctor only ever tells the board "door shut" (the door's channel off): it never opens the door, so
whether the contact closes when switched on is not checked, and the line says so. What can be checked:

- the driver's library loads, and the port or GPIO chip opens and takes the "off" command;
- an LCUS board that answers the status query (LCUS-4/8) reports the door's contact off. The doctor
  asks even with `confirm = false`, because asking is harmless (an LCUS-1 ignores the byte): a stuck
  contact then FAILs, and a board that answers is told to run with `confirm = true`;
- a board that does not answer cannot be told from a port with nothing on it (a CH340 LCUS-1 never
  answers): that is a WARN, "unconfirmed", not a FAIL, since it is the normal state of a healthy
  install with such a board; the line says plainly what was and was not confirmed;
- each tower lamp (`tower_*`) is switched off the same way (with `confirm = true` the board must
  report it off): a lamp that fails is a WARN naming its channel, not a FAIL, since the door works
  without it (the kiosk leaves such a lamp alone), but a board with fewer channels than the lamps
  configured shows no colour on them.

The "simulated" driver opens no door: on a production configuration it FAILs; under `--simulate`
(`kiosk --self-test --simulate` in CI) it is the test set-up and is checked like a real LCUS board.
"""

from __future__ import annotations

import os

from kiosk.cli.doctor_findings import Finding, Level
from kiosk.relay.board import RelayBoard, RelayFault, RelaySettings

PART = "relay"
NEVER_ON = "switching it on not tried (the doctor never opens the door)"
#: The start of LcusBoard's message for a board that said nothing at all (kiosk/relay/serial_board.py).
_SILENT = "no answer from the relay board"


def check_relay(settings: RelaySettings, *, simulators: bool = False) -> Finding:
    """The relay's line; `simulators`: the doctor runs on the simulators (`--simulate`)."""
    from kiosk.relay.drivers import open_board

    if settings.driver == "none":
        return Finding(PART, Level.OK, "no relay configured: the guard lets people through")
    if settings.driver == "simulated" and not simulators:
        return Finding(
            PART,
            Level.FAIL,
            'driver = "simulated": a relay board simulated in memory, which opens no door',
            'set [relay] driver to the real board ("lcus", "serial-command" or "gpiod"), or "none" when the guard '
            "lets people through (kiosk doctor --simulate checks a test set-up)",
        )
    try:
        board = open_board(settings)
        assert board is not None
    except RelayFault as exc:
        return Finding(PART, Level.FAIL, str(exc), "install the driver's package named above (pip install ...)")
    try:
        finding = _check_board(board, settings)
        return finding if finding.level is Level.FAIL else _check_lamps(board, settings, finding)
    finally:
        board.close()


def _check_lamps(board: RelayBoard, settings: RelaySettings, door: Finding) -> Finding:
    """`door`'s finding with the tower lamps' result: each lamp switched off (confirmed with confirm = true)."""
    lamps = [
        (name, channel)
        for name in ("green", "amber", "red")
        if (channel := getattr(settings, f"tower_{name}")) is not None and channel != settings.channel
    ]
    if not lamps:
        return door
    failed: list[str] = []
    for name, channel in lamps:
        try:
            board.set(channel, False)  # a lamp off: safe at any time
        except RelayFault as exc:
            failed.append(f"tower lamp channel {channel} (tower_{name}): {exc}")
    channels = ", ".join(str(channel) for _, channel in lamps)
    if not failed:
        said = "report off" if settings.confirm and settings.driver in ("lcus", "simulated") else 'took "off"'
        return Finding(door.part, door.level, f"{door.detail}; tower lamp channels {channels} {said}", door.hint)
    hint = (
        "the board may have fewer channels than the lamps configured: tower_* must be channels of the board "
        "(or leave them out); the door works without the lamps"
    )
    detail = f"{door.detail}; tower light NOT WORKING: {'; '.join(failed)}"
    return Finding(door.part, Level.WARN, detail, f"{door.hint}; {hint}" if door.hint else hint)


def _check_board(board: RelayBoard, settings: RelaySettings) -> Finding:
    channel = settings.channel
    try:
        board.set(channel, False)  # keep the door shut: safe at any time
    except RelayFault as exc:
        return _fault(exc, settings)
    where = board.description
    if settings.driver not in ("lcus", "simulated"):  # no way to ask these what their contacts are
        detail = f'{where}: channel {channel} took "off" (door shut)'
        return _unconfirmed(settings, detail, _cannot(settings))
    from kiosk.relay.serial_board import LcusBoard

    assert isinstance(board, LcusBoard)
    if settings.confirm:
        return Finding(PART, Level.OK, f"{where} answers: channel {channel} reports off; {NEVER_ON}")
    board.confirm = True  # ask once what the contacts are, though the kiosk does not
    try:
        board.set(channel, False)
    except RelayFault as exc:
        if not str(exc).startswith(_SILENT):
            return _fault(exc, settings)
        detail = f'{where}: the port opened and took "off" (door shut), but the board did not answer'
        return _unconfirmed(settings, detail, "if this board answers (LCUS-4/8), check its cable and port")
    finally:
        board.confirm = False
    detail = f"{where} answers: channel {channel} reports off; {NEVER_ON}"
    return Finding(PART, Level.OK, detail + "; set confirm = true so the kiosk checks every switch")


def _unconfirmed(settings: RelaySettings, detail: str, hint: str) -> Finding:
    """WARN: the command went out, and nothing says the board did it; say what was not confirmed."""
    if settings.driver == "lcus" and settings.port is not None and _builtin_serial_port(settings.port):
        hint = (
            f"{settings.port} is the PC's own serial port, where a USB relay board never appears: "
            "set [relay] port from ls /dev/serial/by-id"
        )
    elif settings.driver == "lcus":
        hint += "; an LCUS board that answers should run with confirm = true (an LCUS-1 never answers)"
    return Finding(PART, Level.WARN, f"{detail}: UNCONFIRMED; {NEVER_ON}", hint)


def _cannot(settings: RelaySettings) -> str:
    if settings.driver == "gpiod":
        return "a GPIO line cannot report its relay module: watch the module's LED at the next ADMIT"
    return "this board type cannot report its contacts: watch the board's LED at the next ADMIT"


def _builtin_serial_port(port: str) -> bool:
    """A motherboard UART (/dev/ttyS0...): it always opens, and takes bytes with nothing attached."""
    return os.path.basename(os.path.realpath(port)).startswith("ttyS")


def _fault(exc: RelayFault, settings: RelaySettings) -> Finding:
    return Finding(PART, Level.FAIL, str(exc), _fault_hint(str(exc), settings))


def _fault_hint(message: str, settings: RelaySettings) -> str:
    """What to do about a RelayFault, from its message (kiosk/relay/serial_board.py, gpio_board.py)."""
    gpio = settings.driver == "gpiod"
    if "stuck" in message:
        return (
            "the contact does not follow its command, so the door may stand open: lock it by hand and replace the "
            'relay board (until then driver = "none": the guard lets people through)'
        )
    if "no GPIO chip" in message or "is not a GPIO chip" in message:
        return "set [relay] port to a chip that exists: ls /dev/gpiochip* (gpiodetect lists them)"
    if "does not have line" in message:
        return f"set [relay] channel to a line the chip has: gpioinfo {settings.port}"
    if "no permission" in message:
        group = "gpio" if gpio else "dialout"
        return f"add the kiosk user to group {group} (sudo usermod -aG {group} kiosk), then log in again"
    if "in use by another program" in message:
        return "is the kiosk running? It holds the port: systemctl --user stop kiosk, run the doctor, start it again"
    if message.startswith(_SILENT):
        return "check the board's cable and [relay] port; a board that never answers (LCUS-1) needs confirm = false"
    if "did not report channel" in message:
        return "set [relay] channel to one the board has (an LCUS-1 has 1, an LCUS-4 1 to 4)"
    if "in time" in message:
        return "the port takes no data: unplug and replug the board; check [relay] port and baud"
    if gpio:
        return f"check the GPIO chip and line: gpioinfo {settings.port}"
    return "check the board's cable and [relay] port: ls /dev/serial/by-id"
