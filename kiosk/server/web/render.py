"""Rendering: the Jinja2 templates (autoescaped), the context every page gets, and small filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from kiosk.server.web import labels
from kiosk.server.web.settings import PREFIX

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
STATIC = HERE / "static"


def bi(indonesian: str, english: str) -> Markup:
    """Indonesian first, English beside it (smaller, in the style sheet)."""
    if indonesian == english:
        return Markup(escape(indonesian))
    return Markup('{}<span class="en"> / {}</span>').format(indonesian, english)


def _local(value: str | None, zone: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime(fmt) if zone is not None else moment.strftime(fmt + " UTC")


TEMPLATES.env.globals.update(
    bi=bi, prefix=PREFIX, reason_name=labels.reason_html, verdict_name=labels.verdict_html, is_broker=labels.is_broker
)
TEMPLATES.env.filters["local"] = _local


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    base: dict[str, Any] = {
        "session": session,
        "user": session.user if session is not None else None,
        "csrf_token": session.csrf_token if session is not None else "",
        "office": None,
        "page": "",
    }
    base.update(context)
    if base["office"] is not None and "office_name" not in base:
        base["office_name"] = str(getattr(base["office"], "name", None) or base["office"].code)
    response: HTMLResponse = TEMPLATES.TemplateResponse(request, name, base, status_code=status_code)
    return response
