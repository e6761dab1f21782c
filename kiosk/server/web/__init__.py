"""The office dashboard: server-rendered pages under /web for the head of office, the office's admin and
the national auditors (docs/dashboard.md).

`install(app, context)` adds the pages, the static files and the security headers to the API's app;
`body_limits(limits)` gives the web forms their own body limits (the booking upload the largest)."""

from __future__ import annotations

from kiosk.server.web.setup import WebLimits, body_limits, install

__all__ = ["WebLimits", "body_limits", "install"]
