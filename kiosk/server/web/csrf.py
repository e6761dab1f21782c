"""CSRF: a synchronizer token per session, in a hidden field of every form and checked on every POST;
the login form (no session yet) checks a random token against a short-lived cookie of its own."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from kiosk.server.web.auth import WebError, office_row, require_admin
from kiosk.server.web.sessions import Session

FIELD = "csrf_token"


def matches(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def checked_form(request: Request, session: Session) -> FormData:
    """The POSTed form, once its token is the session's; 403 otherwise (nothing is done)."""
    form = await request.form()
    if not matches(form.get(FIELD), session.csrf_token):
        await form.close()
        raise WebError(403, "Formulir kedaluwarsa atau tidak sah; muat ulang halaman / Form expired or forged; reload")
    return form


def login_token() -> str:
    return secrets.token_urlsafe(24)


def admin_office(request: Request, session: Session, office: str) -> Any:
    """The office of an administrator's page: 404 for another office (as for none), 403 for a reader."""
    row = office_row(request, session, office)
    require_admin(session.user, row.code)
    return row


async def admin_form(request: Request, session: Session, office: str) -> tuple[Any, FormData]:
    """An administrator's form post to `office`: the office, then the form with its token checked (the
    office first, so another office's admin learns nothing from a form's answer)."""
    row = await run_in_threadpool(admin_office, request, session, office)
    return row, await checked_form(request, session)
