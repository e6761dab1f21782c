"""Who is asking, and what they may see: the session from the cookie, office checks by role, and the
errors the pages answer with (a redirect to the login page, 403, 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from sqlalchemy import select

from kiosk.server.accounts import User
from kiosk.server.context import ServerContext
from kiosk.server.db import reading
from kiosk.server.models import OfficeRow
from kiosk.server.web import sessions
from kiosk.server.web.sessions import Session
from kiosk.server.web.settings import PREFIX, SESSION_COOKIE, WebSettings


class LoginRequiredError(Exception):
    """No live session: the page answers with a redirect to the login page."""

    def __init__(self, next_path: str = "") -> None:
        super().__init__("login required")
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"{PREFIX}/login" + (f"?next={quote(self.next_path, safe='/')}" if self.next_path else "")


class WebError(Exception):
    """A page that cannot be shown to this person: 403 (not allowed), 404 (no such thing, or another
    office's), 400 (a bad form)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class WebState:
    """What every page needs: the server's context (engine, clock) and the dashboard's settings."""

    context: ServerContext
    settings: WebSettings

    def now(self) -> dt.datetime:
        return self.context.now()


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def current_session(request: Request) -> Session:
    """The request's live session; LoginRequiredError otherwise (FastAPI dependency)."""
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    session = sessions.load(state.context.engine, token, state.now(), state.settings) if token else None
    if session is None:
        path = request.url.path if request.method == "GET" else ""
        raise LoginRequiredError(path if path.startswith(PREFIX + "/") else "")
    request.state.session = session
    return session


def office_row(request: Request, session: Session, code: str) -> Any:
    """The office a page is about, when this person may see it; 404 for an unknown office and for
    another office's (the same answer: a URL tells nobody which offices exist)."""
    code = code.strip().upper()
    if not session.user.may_see(code):
        raise WebError(404, "Halaman tidak ditemukan / Page not found")
    with reading(state_of(request).context.engine) as connection:
        row = connection.execute(select(OfficeRow).where(OfficeRow.code == code)).first()
    if row is None:
        raise WebError(404, "Halaman tidak ditemukan / Page not found")
    return row


def require_admin(user: User, office_code: str) -> None:
    if not user.may_change(office_code):
        raise WebError(403, "Hanya admin kantor ini / Only this office's admin")


def visible_offices(request: Request, user: User) -> list[Any]:
    with reading(state_of(request).context.engine) as connection:
        statement = select(OfficeRow).order_by(OfficeRow.code)
        if not user.all_offices:
            statement = statement.where(OfficeRow.code == (user.office_code or ""))
        return list(connection.execute(statement).all())
