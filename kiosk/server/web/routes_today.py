"""Today: flow per hour per gate, denials by reason, open REFERs and broker alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.server.db import reading
from kiosk.server.web.auth import current_session, office_row, state_of
from kiosk.server.web.queries import common, day
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session

router = APIRouter()


@router.get("/o/{office}/today")
def today_page(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row = office_row(request, session, office)
    state = state_of(request)
    zone = common.zone_of(row)
    today = common.local_today(state.now(), zone)
    with reading(state.context.engine) as connection:
        summary = day.office_day(connection, row.code, today, zone)
    return render(request, "today.html", {"office": row, "page": "today", "d": summary, "zone": zone})
