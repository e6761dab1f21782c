"""Request body limits, enforced before anything parses a body (issue 13).

Every route has a limit: event uploads the largest (1 MiB by default: 200 typical events are some
120 KB), the other authenticated routes 64 KiB, and the routes anyone may call without a token
(enrolment, the clock, the health check, the spec) the smallest, 8 KiB. A request whose
Content-Length is above its route's limit is answered 413 at once, its body never read; one without
a Content-Length (chunked) is read chunk by chunk and answered 413 as soon as it passes the limit, so
the server never holds more than the limit of any body. A 413 closes the connection: once the whole
answer is sent, the server reads and throws away at most LINGER_BYTES more of the body, for at most
LINGER_S, and then closes (a lingering close, as nginx does: a socket closed with unread data sends
the client a reset, which can make it lose the answer it was sent). A body within the limit is
handed to the app as it was received.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from kiosk.protocol.schema import ErrorBody
from kiosk.protocol.wire import API_PREFIX, SERVER_TIME_HEADER
from kiosk.server.db import utc_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB = 1024
#: After a 413: how much more of the body is read and thrown away, and for how long, before closing.
LINGER_BYTES = 1024 * KIB
LINGER_S = 2.0
DEFAULT_EVENTS_BYTES = 1024 * KIB
DEFAULT_BODY_BYTES = 64 * KIB
DEFAULT_OPEN_BYTES = 8 * KIB
#: The routes that need a device token; every other path is open to anyone and gets the open limit.
EVENTS_PATH = f"{API_PREFIX}/events"
AUTHENTICATED = frozenset({f"{API_PREFIX}/bookings", f"{API_PREFIX}/check", EVENTS_PATH})


@dataclass(frozen=True)
class BodyLimits:
    """The largest body, in bytes, per kind of route."""

    events: int = DEFAULT_EVENTS_BYTES
    authenticated: int = DEFAULT_BODY_BYTES
    open: int = DEFAULT_OPEN_BYTES

    def __post_init__(self) -> None:
        for name in ("events", "authenticated", "open"):
            if getattr(self, name) < 1:
                raise ValueError(f"body limit {name} must be at least one byte")

    @classmethod
    def of_kib(cls, events: int | None = None, authenticated: int | None = None, open: int | None = None) -> BodyLimits:
        """Limits in KiB (the command line's unit); None keeps the default."""
        return cls(
            events=DEFAULT_EVENTS_BYTES if events is None else events * KIB,
            authenticated=DEFAULT_BODY_BYTES if authenticated is None else authenticated * KIB,
            open=DEFAULT_OPEN_BYTES if open is None else open * KIB,
        )

    def to_env(self) -> str:
        return f"{self.events},{self.authenticated},{self.open}"

    @classmethod
    def from_env(cls, text: str) -> BodyLimits:
        events, authenticated, open_ = (int(part) for part in text.split(","))
        return cls(events, authenticated, open_)

    def for_path(self, path: str) -> int:
        path = path.rstrip("/") or "/"
        if path == EVENTS_PATH:
            return self.events
        if path in AUTHENTICATED:
            return self.authenticated
        return self.open


class _TooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    """ASGI middleware: the route's body limit, before the app sees a byte of the body."""

    def __init__(self, app: App, limits: BodyLimits, now: Callable[[], dt.datetime]) -> None:
        self.app, self.limits, self.now = app, limits, now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(receive, send, limit)
            return
        try:
            messages = await _read_within(receive, limit)
        except _TooLargeError:
            await self._refuse(receive, send, limit)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            message = next(replay, None)
            return message if message is not None else await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, receive: Receive, send: Send, limit: int) -> None:
        now = self.now()
        body = (
            ErrorBody(
                error="request_too_large",
                detail=f"the request body is larger than this route takes ({limit} bytes)",
                server_time=now,
            )
            .model_dump_json()
            .encode()
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (SERVER_TIME_HEADER.lower().encode(), utc_text(now).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": True})  # the whole answer
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_throw_away(receive, LINGER_BYTES), LINGER_S)
        await send({"type": "http.response.body", "body": b""})  # the server closes the connection now


def _content_length(scope: Scope) -> int | None:
    """The declared length; an unreadable one counts as too large (-1 is never below a limit)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return 1 << 62
            return length if length >= 0 else 1 << 62
    return None


async def _throw_away(receive: Receive, most: int) -> None:
    """Read what follows of the body and keep none of it, until it ends or `most` bytes went by."""
    seen = 0
    while seen < most:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        seen += len(message.get("body", b""))


async def _read_within(receive: Receive, limit: int) -> list[Message]:
    """The request's body messages, as received, up to `limit` bytes in all; _TooLargeError beyond it."""
    messages: list[Message] = []
    total = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # a disconnect: the app sees it as it would have
        total += len(message.get("body", b""))
        if total > limit:
            raise _TooLargeError
        if not message.get("more_body", False):
            return messages
