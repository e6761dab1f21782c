"""Mounting the dashboard on the API's app: routers, static files, error pages, security headers and
the web forms' body limits."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from kiosk.server.context import ServerContext
from kiosk.server.limits import BodyLimits
from kiosk.server.web import (
    routes_admin,
    routes_audit,
    routes_bookings,
    routes_kiosks,
    routes_login,
    routes_overrides,
    routes_report,
    routes_today,
)
from kiosk.server.web.auth import LoginRequiredError, WebError, WebState
from kiosk.server.web.render import STATIC, render
from kiosk.server.web.settings import PREFIX, WebSettings

#: No script at all, no inline style, no framing, forms only to this server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
UPLOAD_PATH_SUFFIX = "/bookings/upload"
KIB = 1024


@dataclass(frozen=True)
class WebLimits(BodyLimits):
    """The API's limits, and for /web: a form 64 KiB, a booking export 16 MiB."""

    web_form: int = 64 * KIB
    web_upload: int = 16 * 1024 * KIB

    def for_path(self, path: str) -> int:
        if _is_web(path):
            return self.web_upload if path.rstrip("/").endswith(UPLOAD_PATH_SUFFIX) else self.web_form
        return super().for_path(path)


def body_limits(limits: BodyLimits) -> WebLimits:
    return WebLimits(events=limits.events, authenticated=limits.authenticated, open=limits.open)


def install(app: FastAPI, context: ServerContext, settings: WebSettings | None = None) -> None:
    app.state.web = WebState(context, settings or WebSettings.from_env())
    for module in (
        routes_login,
        routes_kiosks,
        routes_today,
        routes_overrides,
        routes_report,
        routes_bookings,
        routes_admin,
        routes_audit,
    ):
        app.include_router(module.router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(STATIC)), name="web-static")

    @app.exception_handler(LoginRequiredError)
    async def login_required(_request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    api_invalid = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A person at a browser gets a page saying which field was wrong; a kiosk gets the API's JSON."""
        if not _is_web(request.url.path) and api_invalid is not None:
            answer = api_invalid(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        fields = ", ".join(sorted({str(error.get("loc", ("?",))[-1]) for error in exc.errors()})[:5])
        message = f"Isian tidak sah / Not a valid value: {fields}"
        return render(request, "error.html", {"status": 422, "message": message}, 422)

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        return render(request, "error.html", {"status": exc.status, "message": exc.message}, exc.status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        path = request.url.path
        if _is_web(path):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
            if not path.startswith(f"{PREFIX}/static/"):
                response.headers["Cache-Control"] = "no-store"
        return response


def _is_web(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")
