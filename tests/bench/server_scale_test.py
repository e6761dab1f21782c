"""The national-scale benchmark's fill and timing still run against the server's schema of today
(tests/bench/server_scale.py), on a tiny size: 2 offices x 2 kiosks x 3 days."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from kiosk.server.db import make_engine, reading
from kiosk.server.models import AuditEntryRow, EventHourlyRow, EventRow, KioskEventCountRow
from tests.bench import server_scale
from tests.server.support import postgres_dsn


@pytest.mark.postgres
def test_fill_then_time_a_tiny_country(capsys: pytest.CaptureFixture[str]) -> None:
    dsn = postgres_dsn()
    name = f"kiosk_scale_t_{secrets.token_hex(4)}"
    common = ["--dsn", dsn, "--database", name]
    fill = ["fill", "--offices", "2", "--kiosks", "2", "--days", "3", "--per-weekday", "40", "--per-weekend", "40"]
    try:
        assert server_scale.main([*common, *fill, "--min-free-gb", "0.5"]) == 0
        engine = make_engine(dsn.rsplit("/", 1)[0] + f"/{name}")
        try:
            with reading(engine) as connection:
                events = connection.execute(select(func.count()).select_from(EventRow)).scalar()
                entries = connection.execute(select(func.count()).select_from(AuditEntryRow)).scalar()
                counted = connection.execute(select(func.sum(EventHourlyRow.events))).scalar()
                per_kiosk = connection.execute(select(func.sum(KioskEventCountRow.events))).scalar()
        finally:
            engine.dispose()
        assert events and events >= 2 * 2 * 3 * 40
        assert entries == events == counted == per_kiosk
        server_scale.main([*common, "time", "--runs", "2"])  # the figures only: this machine is shared
        out = capsys.readouterr().out
        assert "today" in out and "worst p95" in out
    finally:
        server_scale.main([*common, "drop"])
