"""Overrides: every guard action across gates, filtered by dates, guard, reason, gate and kind, a page at
a time (newest first; `before` continues before a row); per guard the overrides per day against the
office's norm."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kiosk.server.db import reading
from kiosk.server.web import forms, office_settings
from kiosk.server.web.auth import WebError, current_session, office_row, state_of
from kiosk.server.web.queries import common
from kiosk.server.web.queries import overrides as queries
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session

router = APIRouter()
DEFAULT_DAYS = 7


@router.get("/o/{office}/overrides")
def overrides_page(
    request: Request,
    office: str,
    session: Annotated[Session, Depends(current_session)],
    first: Annotated[str, Query(alias="from", max_length=20)] = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
    guard: Annotated[str, Query(max_length=60)] = "",
    reason: Annotated[str, Query(max_length=40)] = "",
    gate: Annotated[str, Query(max_length=40)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    before: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    row = office_row(request, session, office)
    state = state_of(request)
    zone = common.zone_of(row)
    today = common.local_today(state.now(), zone)
    to_day = forms.date_or(last, today)
    from_day = forms.date_or(first, to_day - dt.timedelta(days=DEFAULT_DAYS - 1))
    if from_day > to_day:
        from_day, to_day = to_day, from_day
    if (to_day - from_day).days >= queries.MAX_DAYS:
        raise WebError(400, f"Rentang paling lama {queries.MAX_DAYS} hari / At most {queries.MAX_DAYS} days")
    filters = queries.Filters(from_day, to_day, guard.strip(), reason.strip(), gate.strip(), kind.strip())
    with reading(state.context.engine) as connection:
        norm = office_settings.override_norm(connection, row.code)
        found = queries.overrides(connection, row.code, zone, filters, before.strip(), norm)
    return render(
        request,
        "overrides.html",
        {
            "office": row,
            "page": "overrides",
            "o": found,
            "f": filters,
            "norm": norm,
            "page_size": queries.PAGE,
            "grid_days": queries.GRID_DAYS,
        },
    )
