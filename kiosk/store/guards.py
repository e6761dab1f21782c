"""Guards and their personal PINs. PINs are stored only as scrypt hashes; wrong PINs lock the guard out.

Every change to the guard list goes into the audit chain (by guard id, never by name).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select, update

from kiosk.store.schema import GuardRow
from kiosk.store.times import from_text, to_text

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PIN_DIGITS, MAX_PIN_DIGITS = 6, 12
MAX_FAILED_ATTEMPTS = 5
#: The first lockout; each further one before a successful login lasts twice the one before (5, 10,
#: 20 minutes...), up to MAX_LOCKOUT: guessing a PIN five tries at a time gets slower and slower.
LOCKOUT = dt.timedelta(minutes=5)
MAX_LOCKOUT = dt.timedelta(hours=24)
_WEAK_PINS = {"123456", "654321", "123123", "111111", "000000", "121212", "112233", "123456789"}


class GuardError(Exception):
    """A guard operation that cannot be done: the message is for the person at the keyboard."""


@dataclass(frozen=True, slots=True)
class Guard:
    id: int
    name: str
    active: bool
    created_at: str
    failed_attempts: int
    locked_until: str | None
    lockouts: int = 0


def check_pin_policy(pin: str) -> None:
    if not pin.isascii() or not pin.isdigit():
        raise GuardError("a PIN is digits only")
    if not MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS:
        raise GuardError(f"a PIN has {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")
    if pin in _WEAK_PINS or len(set(pin)) == 1:
        raise GuardError("this PIN is too easy to guess; choose another")


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual.hex(), digest)


def add(connection: Connection, name: str, pin: str, now: dt.datetime) -> Guard:
    name = name.strip()
    if not name or len(name) > 80 or not name.isprintable():
        raise GuardError("a guard name is 1 to 80 printable characters")
    check_pin_policy(pin)
    if connection.execute(select(GuardRow.id).where(GuardRow.name == name)).first():
        raise GuardError(f"a guard named {name!r} already exists")
    connection.execute(
        insert(GuardRow).values(
            name=name, pin_hash=hash_pin(pin), active=True, created_at=to_text(now), failed_attempts=0
        )
    )
    return by_name(connection, name)


def by_name(connection: Connection, name: str) -> Guard:
    row = connection.execute(select(GuardRow).where(GuardRow.name == name)).first()
    if row is None:
        raise GuardError(f"no guard named {name!r}")
    return _guard(row)


def all_guards(connection: Connection) -> list[Guard]:
    return [_guard(row) for row in connection.execute(select(GuardRow).order_by(GuardRow.name)).all()]


def set_active(connection: Connection, name: str, active: bool) -> Guard:
    guard = by_name(connection, name)
    connection.execute(update(GuardRow).where(GuardRow.id == guard.id).values(active=active))
    return by_name(connection, name)


def lockout_for(previous_lockouts: int) -> dt.timedelta:
    """How long the next lockout lasts after `previous_lockouts` since the last successful login."""
    if previous_lockouts >= 20:  # 5 min * 2**9 is already past a day
        return MAX_LOCKOUT
    longer: dt.timedelta = LOCKOUT * (2**previous_lockouts)
    return min(longer, MAX_LOCKOUT)


class AuthEvent(enum.StrEnum):
    """What a PIN check did, as the audit chain names it (store.guards.authenticate(): kiosk/store/parts/guards.py)."""

    LOGIN = "guard.login"
    WRONG_PIN = "guard.pin_wrong"
    LOCKOUT = "guard.lockout"
    LOCKED = "guard.pin_locked"  # a PIN tried while locked out (not checked)
    DISABLED = "guard.pin_disabled"  # a PIN tried for a disabled guard (not checked)


@dataclass(frozen=True, slots=True)
class AuthResult:
    guard: Guard | None
    message: str
    #: What happened, for the audit chain, and about which guard; `facts` hold no PIN material.
    event: AuthEvent | None = None
    guard_id: int | None = None
    facts: dict[str, object] = field(default_factory=dict)


def authenticate(connection: Connection, name: str, pin: str, now: dt.datetime) -> AuthResult:
    """Check a guard's PIN inside a write transaction, counting failures and locking out after five.

    A wrong PIN is a result, not an exception, so that the transaction commits the failure count."""
    guard = by_name(connection, name)
    if not guard.active:
        return AuthResult(None, "this guard is disabled", AuthEvent.DISABLED, guard.id)
    if guard.locked_until and from_text(guard.locked_until) > now:
        return AuthResult(
            None,
            f"too many wrong PINs; locked until {from_text(guard.locked_until):%H:%M} UTC",
            AuthEvent.LOCKED,
            guard.id,
            {"locked_until": guard.locked_until},
        )
    stored = connection.execute(select(GuardRow.pin_hash).where(GuardRow.id == guard.id)).scalar_one()
    if pin_matches(pin, stored):
        connection.execute(
            update(GuardRow).where(GuardRow.id == guard.id).values(failed_attempts=0, locked_until=None, lockouts=0)
        )
        # as it is now, not as it was before the reset
        return AuthResult(by_name(connection, name), "ok", AuthEvent.LOGIN, guard.id)
    failures = guard.failed_attempts + 1
    if failures < MAX_FAILED_ATTEMPTS:
        connection.execute(update(GuardRow).where(GuardRow.id == guard.id).values(failed_attempts=failures))
        left = MAX_FAILED_ATTEMPTS - failures
        return AuthResult(
            None, f"wrong PIN ({left} tries left)", AuthEvent.WRONG_PIN, guard.id, {"failed_attempts": failures}
        )
    duration = lockout_for(guard.lockouts)
    until = to_text(now + duration)
    connection.execute(
        update(GuardRow)
        .where(GuardRow.id == guard.id)
        .values(failed_attempts=0, locked_until=until, lockouts=guard.lockouts + 1)
    )
    minutes = int(duration.total_seconds() // 60)
    return AuthResult(
        None,
        f"wrong PIN; locked for {minutes} minutes",
        AuthEvent.LOCKOUT,
        guard.id,
        {"lockout": guard.lockouts + 1, "minutes": minutes, "locked_until": until},
    )


def _guard(row: object) -> Guard:
    r = row._mapping  # type: ignore[attr-defined]
    return Guard(
        r["id"], r["name"], bool(r["active"]), r["created_at"], r["failed_attempts"], r["locked_until"], r["lockouts"]
    )
