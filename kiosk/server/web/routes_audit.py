"""The server's own audit log (kiosk/server/admin_audit.py): one office's, or every office's for a
national auditor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kiosk.server import admin_audit
from kiosk.server.db import reading
from kiosk.server.web.auth import WebError, current_session, office_row, state_of
from kiosk.server.web.queries import common
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session

router = APIRouter()
PAGE = 200


@router.get("/o/{office}/audit")
def office_audit(
    request: Request,
    office: str,
    session: Annotated[Session, Depends(current_session)],
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    row = office_row(request, session, office)
    with reading(state_of(request).context.engine) as connection:
        entries = admin_audit.entries(connection, row.code, limit=PAGE, before_id=before)
    return render(
        request,
        "audit.html",
        {"office": row, "page": "audit", "entries": entries, "zone": common.zone_of(row), "more": len(entries) == PAGE},
    )


@router.get("/audit")
def all_audit(
    request: Request,
    session: Annotated[Session, Depends(current_session)],
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    if not session.user.all_offices:
        raise WebError(404, "Halaman tidak ditemukan / Page not found")
    with reading(state_of(request).context.engine) as connection:
        entries = admin_audit.entries(connection, None, limit=PAGE, before_id=before)
        verified = admin_audit.verify(connection)
    return render(
        request,
        "audit.html",
        {"page": "audit", "entries": entries, "zone": None, "more": len(entries) == PAGE, "verified": verified},
    )
