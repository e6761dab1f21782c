"""A kiosk offline for three (simulated) days keeps deciding, REFERs what it cannot know, and catches up
in one sync: every event uploaded once, every change downloaded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Reason
from kiosk.domain.payload import parse_payload
from kiosk.sync.client import SyncClient
from tests.server.support import WIB, Admin, ServerProcess, booking, codes, enrolled_kiosk, kiosk_event_uuids, now, sync


def test_three_days_offline_then_caught_up(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    start = now()
    days = [(start + dt.timedelta(days=d)).astimezone(WIB).date() for d in range(4)]
    daily = {d: codes(f"D{d}", 5) for d in range(4)}
    admin.load([booking(c, f"{office}-{c}", office, days[d]) for d in range(4) for c in daily[d]])
    late_codes = {d: codes(f"L{d}", 2) for d in range(1, 4)}
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store, clock=lambda: start)
        for d in range(1, 4):
            at = start + dt.timedelta(days=d, minutes=5)
            # the office keeps booking (and cancelling) while the kiosk is cut off
            admin.load([booking(c, f"{office}-{c}", office, days[d]) for c in late_codes[d]])
            for code in daily[d][:4]:
                assert store.decisions.record(Presentation(parse_payload(code)), at).decision.reason is Reason.OK
            assert (
                store.decisions.record(Presentation(parse_payload(late_codes[d][0])), at).decision.reason
                is Reason.STALE_DATA
            )
        admin.cancel(daily[3][4])
        back = start + dt.timedelta(days=3, hours=1)
        calm_server.faults(clock_shift_s=(back - now()).total_seconds())
        with SyncClient(store, clock=lambda: back) as client:
            result = client.sync_once()
            assert result.uploaded == 15 and store.decisions.outbox_size() == 0
            assert result.bookings == 6 and result.tombstones == 1
            status = client.status()
            assert status.server_offset_s is not None and abs(status.server_offset_s) < 5
            assert (
                store.decisions.record(Presentation(parse_payload(late_codes[3][1])), back).decision.reason is Reason.OK
            )
            assert (
                store.decisions.record(Presentation(parse_payload(daily[3][4])), back).decision.reason
                is Reason.CANCELLED
            )
            client.sync_once()
            assert sorted(admin.event_uuids(office)) == sorted(kiosk_event_uuids(store))
        occurred = {row.occurred_at[:10] for row in admin.events(office)}
        # the events keep the (UTC) days they happened on: three offline days, plus the day of `back`
        offline_days = {(start + dt.timedelta(days=d, minutes=5)).astimezone(dt.UTC).date() for d in range(1, 4)}
        expected = offline_days | {back.astimezone(dt.UTC).date()}
        assert occurred == {day.isoformat() for day in expected}
        assert len(offline_days) == 3
