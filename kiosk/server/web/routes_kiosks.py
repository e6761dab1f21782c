"""Kiosks: each kiosk of an office, its contact, health, data age, clock and audit anchoring."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.server.db import reading
from kiosk.server.web.auth import current_session, office_row, state_of
from kiosk.server.web.queries import common
from kiosk.server.web.queries import kiosks as queries
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session

router = APIRouter()


@router.get("/o/{office}/kiosks")
def kiosks_page(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row = office_row(request, session, office)
    state = state_of(request)
    now = state.now()
    with reading(state.context.engine) as connection:
        lines = queries.kiosk_lines(connection, row, now)
    return render(
        request,
        "kiosks.html",
        {
            "office": row,
            "page": "kiosks",
            "lines": lines,
            "zone": common.zone_of(row),
            "attention": sum(1 for line in lines if line.attention),
        },
    )
