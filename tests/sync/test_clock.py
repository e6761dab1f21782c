"""Trusted time: a kiosk clock set back, set to 2000, or a server clock two hours off makes date checks
REFER (CLOCK_UNTRUSTED); a clock changed between syncs is noticed without waiting for the next one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Reason
from kiosk.domain.payload import parse_payload
from kiosk.sync.client import SyncClient
from kiosk.sync.clockwatch import ClockWatch
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, now, sync


def test_kiosk_clock_set_back_two_hours(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("CB", 1)
    admin.load([booking(code, f"{office}-1", office)])
    shift = dt.timedelta(hours=-2)
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store, clock=lambda: now() + shift)
        status = SyncClient(store).status()
        assert status.server_offset_s is not None and abs(status.server_offset_s - 7200) < 5
        decision = store.decisions.record(Presentation(parse_payload(code)), now() + shift).decision
        assert decision.reason is Reason.CLOCK_UNTRUSTED


def test_server_clock_two_hours_off(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("CS", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        calm_server.faults(clock_shift_s=7200)
        sync(store)
        assert (
            store.decisions.record(Presentation(parse_payload(code)), now()).decision.reason is Reason.CLOCK_UNTRUSTED
        )
        calm_server.calm()
        sync(store)
        assert store.decisions.record(Presentation(parse_payload(code)), now()).decision.reason is Reason.OK


def test_clock_in_the_year_2000(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("CY", 1)
    admin.load([booking(code, f"{office}-1", office)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store)
        year_2000 = dt.datetime(2000, 1, 1, 8, tzinfo=dt.UTC)
        assert (
            store.decisions.record(Presentation(parse_payload(code)), year_2000).decision.reason
            is Reason.CLOCK_UNTRUSTED
        )
        # an unknown code at that time: the data looks 26 years in the future, so it is REFERred too
        assert (
            store.decisions.decide_only(Presentation(parse_payload("ZZZZ99990000")), year_2000).reason
            is Reason.STALE_DATA
        )


def test_clock_watch_notices_a_change_between_syncs(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    (code,) = codes("CW", 1)
    admin.load([booking(code, f"{office}-1", office)])
    wall = [now()]
    mono = [1000.0]
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store)
        watch = ClockWatch(store, wall=lambda: wall[0], monotonic=lambda: mono[0])
        assert watch.check() == 0.0
        wall[0] += dt.timedelta(seconds=30)
        mono[0] += 30
        assert watch.check() == 0.0
        assert store.decisions.record(Presentation(parse_payload(code)), wall[0]).decision.reason is Reason.OK
        wall[0] -= dt.timedelta(hours=2)  # someone sets the clock back
        mono[0] += 5
        assert abs(watch.check() + 7205) < 1
        assert (
            store.decisions.record(Presentation(parse_payload(code)), wall[0]).decision.reason is Reason.CLOCK_UNTRUSTED
        )
        # after a restart the monotonic clock is new, but the last sync is "in the future"
        restarted = ClockWatch(store, wall=lambda: wall[0], monotonic=lambda: 5.0)
        assert restarted.check() < -7000
