"""Logging in and out, and the list of offices a person may see."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from kiosk.server import accounts, admin_audit
from kiosk.server.db import reading, writing
from kiosk.server.web import csrf, sessions
from kiosk.server.web.auth import current_session, state_of, visible_offices
from kiosk.server.web.cookies import clear_cookie, set_cookie
from kiosk.server.web.queries import offices as office_queries
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session
from kiosk.server.web.settings import LOGIN_COOKIE, PREFIX, SESSION_COOKIE

router = APIRouter()
LOGIN_COOKIE_SECONDS = 1800


def _safe_next(value: object) -> str:
    """Only a path of this dashboard (never another host: no "//", no scheme; and no ".." that a
    browser would resolve to a path outside it, written plainly or percent-encoded)."""
    if isinstance(value, str) and value.startswith(PREFIX + "/") and not _LEAVES.search(value) and len(value) <= 300:
        return value
    return f"{PREFIX}/offices"


#: What could take a "next" path off this dashboard or off this host.
_LEAVES = re.compile(r"//|\\|(^|/)(\.|%2e){2}(/|$|\?|#)|[\x00-\x1f]", re.IGNORECASE)


@router.get("")
@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/offices", status_code=303)


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    token = csrf.login_token()
    response = render(
        request,
        "login.html",
        {"login_token": token, "next": _safe_next(next_path), "error": error, "page": "login"},
        status,
    )
    set_cookie(request, response, LOGIN_COOKIE, token, LOGIN_COOKIE_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return _login_page(request, next)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    if not csrf.matches(form.get(csrf.FIELD), request.cookies.get(LOGIN_COOKIE, "")):
        return _login_page(
            request, str(form.get("next", "")), "Formulir kedaluwarsa, coba lagi / Form expired, try again", 403
        )
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: FormData) -> Response:
    """The password check (scrypt: some 50 ms of CPU) and the session, off the event loop."""
    state = state_of(request)
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))
    now = state.now()
    with writing(state.context.engine) as connection:
        result = accounts.login(connection, username, password, now)
        if result.user is not None:
            previous = request.cookies.get(SESSION_COOKIE, "")
            if previous:  # a new session at every login (no fixation): the old one ends here
                sessions.destroy(connection, sessions.digest(previous))
            token, _ = sessions.create(connection, result.user, now)
            sessions.purge_expired(connection, now, state.settings)
            admin_audit.record(connection, now, result.user.username, "login", result.user.office_code)
        else:
            admin_audit.record(
                connection,
                now,
                username.strip().lower() or "-",
                f"login.{result.outcome}",
                None,
                detail=_client(request),
            )
    if result.user is None:
        message = (
            "Nama pengguna atau kata sandi salah, atau akun dikunci sementara "
            "/ Wrong user name or password, or the account is locked for a while"
        )
        return _login_page(request, str(form.get("next", "")), message, 401)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token)
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


def _client(request: Request) -> str:
    return f"from {request.client.host}" if request.client else ""


@router.post("/logout")
async def logout(request: Request, session: Annotated[Session, Depends(current_session)]) -> Response:
    await csrf.checked_form(request, session)
    return await run_in_threadpool(_logout, request, session)


def _logout(request: Request, session: Session) -> Response:
    state = state_of(request)
    with writing(state.context.engine) as connection:
        sessions.destroy(connection, session.token_hash)
        admin_audit.record(connection, state.now(), session.user.username, "logout", session.user.office_code)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


@router.get("/offices")
def offices_page(request: Request, session: Annotated[Session, Depends(current_session)]) -> Response:
    rows = visible_offices(request, session.user)
    state = state_of(request)
    with reading(state.context.engine) as connection:
        lines = office_queries.office_lines(connection, rows, state.now())
    return render(request, "offices.html", {"offices": lines, "page": "offices"})
