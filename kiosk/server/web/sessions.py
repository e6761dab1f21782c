"""Server-side sessions: a random cookie token (stored only as its SHA-256), a CSRF token of its own,
an idle limit and an absolute limit. An expired session is deleted when it is next presented."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update

from kiosk.formats.times import from_text
from kiosk.server import accounts
from kiosk.server.accounts import User
from kiosk.server.db import reading, utc_text, writing
from kiosk.server.models import WebSessionRow
from kiosk.server.web.settings import WebSettings


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    user: User
    csrf_token: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(connection: Connection, user: User, now: dt.datetime) -> tuple[str, Session]:
    """A new session for a user who just logged in; the token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    connection.execute(
        insert(WebSessionRow).values(
            token_hash=digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=utc_text(now),
            last_seen_at=utc_text(now),
        )
    )
    return token, Session(digest(token), user, csrf)


def load(engine: Engine, token: str, now: dt.datetime, settings: WebSettings) -> Session | None:
    """The live session of a cookie token (its last use noted), or None: unknown, expired (idle or
    absolute: deleted) or of a disabled account. Reads first; writes only to expire or to note a use
    (at most once a `touch_every`), so a page view seldom takes the write lock."""
    if not token or len(token) > 100:
        return None
    hashed = digest(token)
    with reading(engine) as connection:
        row = connection.execute(select(WebSessionRow).where(WebSessionRow.token_hash == hashed)).first()
        user = None if row is None else accounts.user_by_id(connection, row.user_id)
    if row is None:
        return None
    last_seen = from_text(row.last_seen_at)
    expired = now - last_seen > settings.idle or now - from_text(row.created_at) > settings.absolute
    if expired or user is None or not user.active:
        with writing(engine) as connection:
            connection.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == hashed))
        return None
    if now - last_seen >= settings.touch_every:
        with writing(engine) as connection:
            connection.execute(
                update(WebSessionRow).where(WebSessionRow.token_hash == hashed).values(last_seen_at=utc_text(now))
            )
    return Session(hashed, user, row.csrf_token)


def destroy(connection: Connection, token_hash: str) -> None:
    connection.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))


def purge_expired(connection: Connection, now: dt.datetime, settings: WebSettings) -> int:
    """Delete sessions past either limit (called at each login)."""
    idle = utc_text(now - settings.idle)
    absolute = utc_text(now - settings.absolute)
    result = connection.execute(
        delete(WebSessionRow).where((WebSessionRow.last_seen_at < idle) | (WebSessionRow.created_at < absolute))
    )
    return int(result.rowcount or 0)
