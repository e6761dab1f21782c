"""The dashboard's cookies: HttpOnly, SameSite=Strict, path /web, Secure over https (settings)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kiosk.server.web.auth import state_of
from kiosk.server.web.settings import PREFIX


def secure(request: Request) -> bool:
    mode = state_of(request).settings.secure_cookies
    if mode == "always":
        return True
    if mode == "never":
        return False
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="strict", secure=secure(request)
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="strict", secure=secure(request))
