"""sd_notify to a real datagram socket, and the watchdog fed only while every part lives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.runtime.notify import SystemdNotifier, WatchdogFeeder


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[tuple[socket.socket, dict[str, str]]]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield sock, {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"}
    sock.close()


def _received(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_outside_systemd_nothing_is_sent() -> None:
    notifier = SystemdNotifier(env={})
    assert not notifier.enabled and notifier.watchdog_s is None
    assert not notifier.ready() and not notifier.watchdog()


def test_ready_status_watchdog_stopping(systemd: tuple[socket.socket, dict[str, str]]) -> None:
    sock, env = systemd
    notifier = SystemdNotifier(env=env, pid=4242)
    assert notifier.watchdog_s == 30.0
    assert notifier.ready("scanning")
    assert _received(sock) == ["READY=1", "STATUS=scanning"]
    assert notifier.watchdog()
    assert _received(sock) == ["WATCHDOG=1"]
    assert notifier.status("two\nlines")
    assert _received(sock) == ["STATUS=two lines"]
    assert notifier.stopping()
    assert _received(sock) == ["STOPPING=1"]


@pytest.mark.parametrize(
    ("env", "period"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"}, 30.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_the_watchdog_period_is_for_this_process_only(env: dict[str, str], period: float | None) -> None:
    assert SystemdNotifier(env={"NOTIFY_SOCKET": "/run/x", **env}, pid=4242).watchdog_s == period


def test_a_socket_that_is_gone_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notifier = SystemdNotifier(env={"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert notifier.enabled
    assert not notifier.watchdog() and not notifier.watchdog()
    assert sum("cannot tell systemd" in r.message for r in caplog.records) == 1


def test_the_watchdog_is_fed_only_while_every_part_lives(systemd: tuple[socket.socket, dict[str, str]]) -> None:
    sock, env = systemd
    now = [100.0]
    scan_loop = [100.0]
    feeder = WatchdogFeeder(
        SystemdNotifier(env=env, pid=4242), {"scan loop": lambda: scan_loop[0]}, max_age_s=10, clock=lambda: now[0]
    )
    assert feeder.interval_s == 10.0
    assert feeder.tick()
    assert _received(sock) == ["WATCHDOG=1"]
    now[0] = 115.0  # the scan loop last showed life 15 s ago
    assert not feeder.tick()
    assert _received(sock) == ["STATUS=stalled: scan loop"]
    assert not feeder.tick()  # still stalled: no ping and no repeated status
    scan_loop[0] = 114.0
    assert feeder.tick()
    assert _received(sock) == ["STATUS=running"]
    assert _received(sock) == ["WATCHDOG=1"]
