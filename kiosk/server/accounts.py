"""Accounts of the office dashboard: people, their roles, their passwords and the lockout.

Passwords are stored as scrypt hashes (hashlib.scrypt, a random 16-byte salt per password, N=2^14,
r=8, p=1) and compared in constant time. After MAX_FAILURES failed logins within FAIL_WINDOW an
account is locked for LOCK_TIME (a correct password does not open it meanwhile); `kiosk server user
reset` clears the lock. A login with an unknown name costs the same hash as a known one.

Roles: office_admin (one office, every right there), office_viewer (one office, read and reports: the
head of office), national_auditor (read-only, every office).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from kiosk.formats.times import from_text
from kiosk.server.db import utc_text
from kiosk.server.models import OfficeRow, WebSessionRow, WebUserRow

OFFICE_ADMIN, OFFICE_VIEWER, NATIONAL_AUDITOR = "office_admin", "office_viewer", "national_auditor"
ROLES = (OFFICE_ADMIN, OFFICE_VIEWER, NATIONAL_AUDITOR)
MAX_FAILURES = 5
FAIL_WINDOW = dt.timedelta(minutes=15)
LOCK_TIME = dt.timedelta(minutes=15)
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 200
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
#: Hashed against when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43


class AccountError(Exception):
    """An account operation that cannot be done (the message says why)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: str
    office_code: str | None
    active: bool

    @property
    def is_admin(self) -> bool:
        return self.role == OFFICE_ADMIN

    @property
    def all_offices(self) -> bool:
        return self.role == NATIONAL_AUDITOR

    def may_see(self, office_code: str) -> bool:
        return self.all_offices or (self.office_code is not None and self.office_code == office_code.upper())

    def may_change(self, office_code: str) -> bool:
        return self.is_admin and self.may_see(office_code)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"the password has at most {MAX_PASSWORD_CHARS} characters")


def generated_password() -> str:
    """A password to hand out once: 16 characters from an alphabet without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _user(row: Any) -> User:
    return User(row.id, row.username, row.role, row.office_code, bool(row.active))


def add_user(
    connection: Connection, username: str, role: str, office_code: str | None, password: str, now: dt.datetime
) -> User:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError("a user name is 2-64 characters: a-z, 0-9, '.', '_', '-' (starting with a letter or digit)")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role == NATIONAL_AUDITOR:
        if office_code:
            raise AccountError("a national auditor sees every office: give no --office")
        office_code = None
    else:
        if not office_code:
            raise AccountError(f"a {role} belongs to one office: give --office")
        office_code = office_code.strip().upper()
        if connection.execute(select(OfficeRow.code).where(OfficeRow.code == office_code)).first() is None:
            raise AccountError(f"no office {office_code!r}")
    check_new_password(password)
    if connection.execute(select(WebUserRow.id).where(WebUserRow.username == username)).first():
        raise AccountError(f"user {username} exists already")
    connection.execute(
        insert(WebUserRow).values(
            username=username,
            role=role,
            office_code=office_code,
            password_hash=hash_password(password),
            active=True,
            created_at=utc_text(now),
            fail_count=0,
        )
    )
    return user_named(connection, username)


def user_named(connection: Connection, username: str) -> User:
    row = connection.execute(select(WebUserRow).where(WebUserRow.username == username.strip().lower())).first()
    if row is None:
        raise AccountError(f"no user {username!r}")
    return _user(row)


def user_by_id(connection: Connection, user_id: int) -> User | None:
    row = connection.execute(select(WebUserRow).where(WebUserRow.id == user_id)).first()
    return None if row is None else _user(row)


def users(connection: Connection) -> list[Any]:
    return list(connection.execute(select(WebUserRow).order_by(WebUserRow.username)).all())


def disable(connection: Connection, username: str) -> User:
    """Disable an account and end its sessions."""
    user = user_named(connection, username)
    connection.execute(update(WebUserRow).where(WebUserRow.id == user.id).values(active=False))
    connection.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user.id))
    return user


def reset(connection: Connection, username: str, password: str) -> User:
    """A new password; the account is enabled again, its lock cleared and its sessions ended."""
    user = user_named(connection, username)
    check_new_password(password)
    connection.execute(
        update(WebUserRow)
        .where(WebUserRow.id == user.id)
        .values(
            password_hash=hash_password(password),
            active=True,
            fail_count=0,
            fail_window_start=None,
            locked_until=None,
        )
    )
    connection.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user.id))
    return user


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User | None
    #: "ok", "bad" (wrong name or password, or disabled), "locked"
    outcome: str


def login(connection: Connection, username: str, password: str, now: dt.datetime) -> LoginResult:
    """Check a login in the caller's write transaction, counting failures towards the lockout."""
    name = username.strip().lower()[:64]
    seen = connection.execute(select(WebUserRow.id, WebUserRow.password_hash).where(WebUserRow.username == name))
    first = seen.first()
    if first is None:
        check_password(password, _DUMMY)
        return LoginResult(None, "bad")
    # The hash (some 50 ms) is taken before the row is locked, so parallel logins wait on each other only
    # for the short decision below; the lock, the failure count and the window are then read afresh under
    # the row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write transaction is one writer already),
    # so parallel wrong guesses are counted one by one and none of them slips past the lockout.
    good = check_password(password[:MAX_PASSWORD_CHARS], first.password_hash)
    row = connection.execute(select(WebUserRow).where(WebUserRow.id == first.id).with_for_update()).first()
    if row is None:
        return LoginResult(None, "bad")
    if row.password_hash != first.password_hash:  # a reset meanwhile: check against the new password
        good = check_password(password[:MAX_PASSWORD_CHARS], row.password_hash)
    if row.locked_until and from_text(row.locked_until) > now:
        return LoginResult(None, "locked")  # even with the right password
    if good and row.active:
        connection.execute(
            update(WebUserRow)
            .where(WebUserRow.id == row.id)
            .values(fail_count=0, fail_window_start=None, locked_until=None, last_login_at=utc_text(now))
        )
        return LoginResult(_user(row), "ok")
    if not good:
        window = row.fail_window_start
        if window is None or now - from_text(window) > FAIL_WINDOW:
            count, window = 1, utc_text(now)
        else:
            count = (row.fail_count or 0) + 1
        locked = utc_text(now + LOCK_TIME) if count >= MAX_FAILURES else None
        connection.execute(
            update(WebUserRow)
            .where(WebUserRow.id == row.id)
            .values(fail_count=count, fail_window_start=window, locked_until=locked)
        )
        if locked:
            return LoginResult(None, "locked")
    return LoginResult(None, "bad")
