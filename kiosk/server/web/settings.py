"""The dashboard's settings: session lifetimes and cookie flags, from the environment."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

PREFIX = "/web"
SESSION_COOKIE = "kiosk_session"
LOGIN_COOKIE = "kiosk_login"
#: KIOSK_WEB_COOKIE_SECURE: "auto" (Secure when the request came over https, or through a proxy that
#: says so in X-Forwarded-Proto), "always", or "never" (loopback http only, for tests).
ENV_SECURE = "KIOSK_WEB_COOKIE_SECURE"
ENV_IDLE = "KIOSK_WEB_IDLE_MINUTES"
ENV_ABSOLUTE = "KIOSK_WEB_SESSION_HOURS"


@dataclass
class WebSettings:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=12)
    secure_cookies: str = "auto"
    #: A session's last_seen is written at most this often (a write per page view otherwise).
    touch_every: dt.timedelta = dt.timedelta(seconds=60)

    @classmethod
    def from_env(cls) -> WebSettings:
        settings = cls()
        if os.environ.get(ENV_IDLE):
            settings.idle = dt.timedelta(minutes=float(os.environ[ENV_IDLE]))
        if os.environ.get(ENV_ABSOLUTE):
            settings.absolute = dt.timedelta(hours=float(os.environ[ENV_ABSOLUTE]))
        secure = os.environ.get(ENV_SECURE, "auto").strip().lower()
        if secure not in ("auto", "always", "never"):
            raise ValueError(f"{ENV_SECURE} must be auto, always or never")
        settings.secure_cookies = secure
        return settings
