"""The Overrides page at length: the actions a page at a time (newest first, "older" continues before
the last row shown, also among actions of the same second), the count and the filter choices from the
hourly counts, and per guard a grid of days for a short range, a summary for a long one."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, insert

from kiosk.server import summaries, summary_reads
from kiosk.server.db import reading, writing
from kiosk.server.models import EventRow
from kiosk.server.web.queries import overrides as queries
from tests.server.web.support import OFFICE_A, Seeded, WebClient, _event, logged_in

WIB = dt.timezone(dt.timedelta(hours=7))
_ROW = re.compile(r'<tr id="action-([0-9a-f-]{36})"')
_OLDER = re.compile(r'id="actions-older" href="([^"]+)"')
#: 250 actions of office A over the last three days (a fifth of them sharing one second), and a guard
#: with 12 overrides in one day 40 days ago (over the default norm of 10).
MANY = 250
HEAVY_DAYS_AGO = 40


@pytest.fixture(scope="module")
def added(web_app: FastAPI) -> list[dict[str, Any]]:
    """The module's extra actions, added once (the module's database is its own)."""
    engine: Engine = web_app.state.web.context.engine
    seeded: Seeded = web_app.state.seeded
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = []
    for n in range(MANY):
        at = now - dt.timedelta(hours=1) if n % 5 == 0 else now - dt.timedelta(hours=2, minutes=n)
        gate, kiosk = ("G2", seeded.kiosk_a2) if n % 2 else ("G1", seeded.kiosk_a1)
        kind = ("override", "dismiss", "note")[n % 3]
        reason = {"override": "PRIORITY_ELDERLY", "dismiss": "DISMISSED", "note": "NOTE"}[kind]
        rows.append(_event(kiosk, OFFICE_A, gate, at, kind=kind, reason=reason, guard_id=1 + n % 4, persons=0))
    heavy = dt.datetime.combine(dt.datetime.now(WIB).date() - dt.timedelta(days=HEAVY_DAYS_AGO), dt.time(10), WIB)
    for n in range(12):
        rows.append(
            _event(seeded.kiosk_a1, OFFICE_A, "G1", heavy + dt.timedelta(minutes=n), kind="override",
                   reason="LOST_PASSPORT", guard_id=8)
        )  # fmt: skip
    # one local day across UTC midnight: 06:00 and 08:00 WIB are 23:00 and 01:00 UTC
    straddled = dt.datetime.combine(dt.datetime.now(WIB).date() - dt.timedelta(days=50), dt.time(6), WIB)
    for hours in (0, 2):
        at = straddled + dt.timedelta(hours=hours)
        rows.append(_event(seeded.kiosk_a1, OFFICE_A, "G1", at, kind="override", reason="OTHER", guard_id=5))
    with writing(engine) as connection:
        connection.execute(insert(EventRow), rows)
        summaries.count(connection, rows)
    return rows


def _ids(html: str) -> list[str]:
    return _ROW.findall(html)


def test_actions_come_a_page_at_a_time_newest_first(client: WebClient, seeded: Seeded, added: Any) -> None:
    logged_in(client, "viewer_a")
    first = client.get(f"/web/o/{OFFICE_A}/overrides").text
    shown = _ids(first)
    assert len(shown) == queries.PAGE
    assert f'id="actions-count">{MANY + 1}<' in first  # and the seeded override
    assert 'id="actions-newest"' not in first
    older = _OLDER.search(first)
    assert older is not None
    second = client.get(f"/web/o/{OFFICE_A}/overrides" + older.group(1).replace("&amp;", "&")).text
    rest = _ids(second)
    assert len(rest) == MANY + 1 - queries.PAGE and not set(rest) & set(shown)
    assert shown[0] == seeded.override_uuid  # the newest: five minutes ago, the others an hour and more
    assert 'id="actions-older"' not in second and 'id="actions-newest"' in second
    assert f'id="actions-count">{MANY + 1}<' in second
    # an unknown "before" is the first page again
    assert _ids(client.get(f"/web/o/{OFFICE_A}/overrides?before=not-an-event").text) == shown


def test_the_older_link_keeps_the_filters(client: WebClient, seeded: Seeded, added: Any) -> None:
    logged_in(client, "viewer_a")
    page = client.get(f"/web/o/{OFFICE_A}/overrides?gate=G1").text
    count = int(page.split('id="actions-count">', 1)[1].split("<", 1)[0])
    assert count == MANY // 2 + 1  # the even ones, and the seeded override at G1
    assert len(_ids(page)) == min(count, queries.PAGE)
    older = _OLDER.search(page)
    assert older is None  # 126 actions: one page
    narrowed = client.get(f"/web/o/{OFFICE_A}/overrides?kind=override&guard=G1+%231").text
    ids = _ids(narrowed)
    expected = sum(1 for n in range(MANY) if n % 3 == 0 and n % 2 == 0 and 1 + n % 4 == 1)
    assert len(ids) == expected and f'id="actions-count">{expected}<' in narrowed
    assert 'id="actions-older"' not in narrowed
    assert "G2 #2" in narrowed  # the guard choices are the range's, before the filters narrow it


def test_a_short_range_has_a_grid_of_days_a_long_one_a_summary_per_guard(client: WebClient, added: Any) -> None:
    logged_in(client, "viewer_a")
    today = dt.datetime.now(WIB).date()
    heavy_day = today - dt.timedelta(days=HEAVY_DAYS_AGO)
    week = client.get(
        f"/web/o/{OFFICE_A}/overrides?from={heavy_day - dt.timedelta(days=3)}&to={heavy_day + dt.timedelta(days=3)}"
    ).text
    table = week.split('id="per-guard-table"', 1)[1].split("</table>", 1)[0]
    assert 'class="per-day"' in week and heavy_day.strftime("%d/%m") in table
    assert "G1 #8" in table and 'over-norm">12<' in table
    year = client.get(f"/web/o/{OFFICE_A}/overrides?from={today - dt.timedelta(days=365)}&to={today}").text
    table = year.split('id="per-guard-table"', 1)[1].split("</table>", 1)[0]
    assert 'class="per-guard-summary"' in year and heavy_day.strftime("%d/%m") not in table
    row = table.split("G1 #8", 1)[1].split("</tr>", 1)[0]
    # days over the norm, most in a day, days with overrides, total
    assert re.findall(r">(\d+)</td>", row) == ["1", "12", "1", "12"]
    assert 'over-norm">1<' in row and 'over-norm">12<' in row
    # a filter that keeps no override leaves the table empty
    dismissed = client.get(f"/web/o/{OFFICE_A}/overrides?from={today - dt.timedelta(days=365)}&to={today}&kind=dismiss")
    assert "G1 #8" not in dismissed.text.split('id="per-guard-table"', 1)[1].split("</table>", 1)[0]


def test_the_counts_and_choices_over_a_year(engine: Engine, added: Any) -> None:
    zone = ZoneInfo("Asia/Jakarta")
    today = dt.datetime.now(zone).date()
    filters = queries.Filters(today - dt.timedelta(days=365), today)
    with reading(engine) as connection:
        found = queries.overrides(connection, OFFICE_A, zone, filters)
    assert found.total == MANY + 1 + 12 + 2 and not found.grid and len(found.actions) == queries.PAGE
    assert {"G1", "G2"} <= set(found.gates) and "LOST_PASSPORT" in found.reasons


def test_the_summary_per_guard_is_the_sum_of_its_days(engine: Engine, added: Any) -> None:
    zone = ZoneInfo("Asia/Jakarta")
    today = dt.datetime.now(zone).date()
    first, _ = summary_reads.day_hours(today - dt.timedelta(days=365), zone)
    _, end = summary_reads.day_hours(today, zone)
    with reading(engine) as connection:
        days = summary_reads.guard_days(connection, OFFICE_A, first, end, zone)
        summed = summary_reads.guard_summary(connection, OFFICE_A, first, end, zone, 10)
    per_guard: dict[tuple[str, int], dict[str, int]] = {}
    for _kiosk, gate, guard, day, number, _persons in days:
        per_day = per_guard.setdefault((gate, guard), {})
        per_day[day] = per_day.get(day, 0) + number
    expected = [
        (gate, guard, len(n), sum(1 for v in n.values() if v > 10), max(n.values()), sum(n.values()))
        for (gate, guard), n in sorted(per_guard.items())
    ]
    assert [tuple(int(v) if not isinstance(v, str) else v for v in row) for row in summed] == expected
    assert ("G1", 5, 1, 0, 2, 2) in expected  # 06:00 and 08:00 WIB: one local day, not two UTC days
