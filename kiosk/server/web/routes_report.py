"""The daily report of an office for any day, merged across gates: HTML, PDF and CSV (BOM, ',' or ';')."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kiosk.server.db import reading
from kiosk.server.web import forms
from kiosk.server.web.auth import WebError, current_session, office_row, state_of
from kiosk.server.web.queries import common
from kiosk.server.web.queries import report as queries
from kiosk.server.web.render import render
from kiosk.server.web.report_csv import report_csv
from kiosk.server.web.report_pdf import report_pdf
from kiosk.server.web.sessions import Session

router = APIRouter()
DayQuery = Annotated[str, Query(max_length=20)]
LangQuery = Annotated[str, Query(pattern="^(id|en)$")]
_SEPARATORS = {",": ",", ";": ";", "comma": ",", "semicolon": ";"}


def _report(request: Request, session: Session, office: str, day: str) -> tuple[queries.Report, object]:
    row = office_row(request, session, office)
    state = state_of(request)
    now = state.now()
    zone = common.zone_of(row)
    wanted = forms.date_or(day, common.local_today(now, zone) - dt.timedelta(days=1))
    with reading(state.context.engine) as connection:
        return queries.daily_report(connection, row, wanted, now), row


def _name(report: queries.Report, suffix: str) -> str:
    return f"laporan-harian-{report.office_code}-{report.day.day.isoformat()}.{suffix}"


@router.get("/o/{office}/report")
def report_page(
    request: Request, office: str, session: Annotated[Session, Depends(current_session)], day: DayQuery = ""
) -> Response:
    report, row = _report(request, session, office, day)
    return render(request, "report.html", {"office": row, "page": "report", "r": report, "d": report.day})


@router.get("/o/{office}/report.csv")
def report_csv_file(
    request: Request,
    office: str,
    session: Annotated[Session, Depends(current_session)],
    day: DayQuery = "",
    sep: Annotated[str, Query(max_length=10)] = ",",
    lang: LangQuery = "id",
) -> Response:
    if sep not in _SEPARATORS:
        raise WebError(400, "sep: ',' / ';' / comma / semicolon")
    report, _ = _report(request, session, office, day)
    body = report_csv(report, lang, _SEPARATORS[sep]).encode("utf-8")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_name(report, "csv")}"'},
    )


@router.get("/o/{office}/report.pdf")
def report_pdf_file(
    request: Request,
    office: str,
    session: Annotated[Session, Depends(current_session)],
    day: DayQuery = "",
    lang: LangQuery = "id",
) -> Response:
    report, _ = _report(request, session, office, day)
    return Response(
        report_pdf(report, lang),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_name(report, "pdf")}"'},
    )
