"""Telling systemd how the kiosk is: ready, alive (the watchdog), stopping (sd_notify, no library).

systemd starts the kiosk with `Type=notify` and `WatchdogSec=` (deploy/systemd/kiosk.service): it
passes a datagram socket in $NOTIFY_SOCKET and the watchdog period in $WATCHDOG_USEC, and restarts
the kiosk when the pings stop. A ping must mean "the kiosk works", not "the process exists": the
`WatchdogFeeder` pings only while every part it watches (the scan loop, and the screen thread that
runs the feeder itself) has shown a sign of life recently. Outside systemd all of this does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends sd_notify messages to $NOTIFY_SOCKET; a no-op when the variable is not set."""

    def __init__(self, env: Mapping[str, str] | None = None, pid: int | None = None) -> None:
        env = os.environ if env is None else env
        self._address = _socket_address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_s = _watchdog_period(env, os.getpid() if pid is None else pid)
        self._failed = False

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def send(self, *fields: str) -> bool:
        """One datagram with the fields, one per line; False (logged once) when it cannot be sent."""
        if self._address is None:
            return False
        message = "\n".join(field.replace("\n", " ") for field in fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall(message)
        except OSError as exc:
            if not self._failed:
                self._failed = True
                log.warning("cannot tell systemd (%s): %s", self._address, exc)
            return False
        return True


class WatchdogFeeder:
    """Pings the watchdog only while every watched part has shown life within `max_age_s`.

    `beats` maps a part's name to a function giving the monotonic time it last showed life (the scan
    loop stamps each pass, with or without a camera). `tick()` is called from the screen thread's
    timer: if that thread hangs, the ticks stop and so do the pings."""

    def __init__(
        self,
        notifier: SystemdNotifier,
        beats: Mapping[str, Callable[[], float]],
        max_age_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.notifier = notifier
        self.beats = dict(beats)
        self.max_age_s = max_age_s
        self.clock = clock
        self.stale: tuple[str, ...] = ()

    @property
    def interval_s(self) -> float | None:
        """How often to tick: a third of systemd's watchdog period, or None (no watchdog)."""
        return None if self.notifier.watchdog_s is None else self.notifier.watchdog_s / 3

    def tick(self) -> bool:
        """Ping when all parts are alive; say (once per change) which are not. True when pinged."""
        now = self.clock()
        stale = tuple(name for name, beat in self.beats.items() if now - beat() > self.max_age_s)
        if stale != self.stale:
            self.stale = stale
            if stale:
                log.error("not feeding the watchdog: no sign of life from %s; systemd will restart the kiosk",
                          ", ".join(stale))  # fmt: skip
                self.notifier.status(f"stalled: {', '.join(stale)}")
            else:
                self.notifier.status("running")
        if stale:
            return False
        return self.notifier.watchdog()


def _socket_address(value: str) -> str | None:
    if not value:
        return None
    if value.startswith("@"):  # Linux abstract namespace
        return "\0" + value[1:]
    return value if value.startswith("/") else None


def _watchdog_period(env: Mapping[str, str], pid: int) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    owner = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (owner and owner != str(pid)):
        return None
    return int(usec) / 1_000_000
