"""store.guards: the guards who may use the console, and the audited check of their PINs.

Its own part because every change of a guard and every PIN check is one audited transaction; the
rows themselves are kiosk/store/guards.py's."""

from __future__ import annotations

import datetime as dt

from kiosk.store import audit
from kiosk.store import guards as guard_repo
from kiosk.store.parts import Part
from kiosk.store.times import to_text

#: What a successful PIN check is for, and the audit entry it makes (Guards.authenticate()).
AUTH_PURPOSES = {"login": "guard.login", "leave": "kiosk.leave", "verify": "guard.pin_verified"}


class Guards(Part):
    """The console's guards (store.guards)."""

    __slots__ = ()

    def add(self, name: str, pin: str, now: dt.datetime) -> guard_repo.Guard:
        with self._store.writing() as connection:
            guard = guard_repo.add(connection, name, pin, now)
            audit.append(connection, to_text(now), "guard.add", f"guard:{guard.id}", audit.canonical_digest({}))
        self._store.audit.write_anchor()
        return guard

    def set_active(self, name: str, active: bool, now: dt.datetime) -> guard_repo.Guard:
        with self._store.writing() as connection:
            guard = guard_repo.set_active(connection, name, active)
            kind = "guard.enable" if active else "guard.disable"
            audit.append(connection, to_text(now), kind, f"guard:{guard.id}", audit.canonical_digest({}))
        self._store.audit.write_anchor()
        return guard

    def all(self) -> list[guard_repo.Guard]:
        with self._store.reading() as connection:
            return guard_repo.all_guards(connection)

    def authenticate(self, name: str, pin: str, now: dt.datetime, purpose: str = "login") -> guard_repo.Guard:
        """Check a guard's PIN. What happened goes into the audit chain in the same transaction as the
        failure count (guard.login, guard.pin_wrong, guard.lockout, guard.pin_locked, guard.pin_disabled;
        a successful check with `purpose` "leave" is the guard leaving kiosk mode: kiosk.leave), by guard
        id, never with the PIN or anything made from it. An unknown name raises GuardError, unaudited."""
        if purpose not in AUTH_PURPOSES:
            raise ValueError(f"unknown purpose of a PIN check: {purpose!r}")
        with self._store.writing() as connection:
            result = guard_repo.authenticate(connection, name, pin, now)
            if result.event is not None and result.guard_id is not None:
                kind = AUTH_PURPOSES[purpose] if result.event is guard_repo.AuthEvent.LOGIN else result.event.value
                facts = {"purpose": purpose, **result.facts}
                audit.append(connection, to_text(now), kind, f"guard:{result.guard_id}", audit.canonical_digest(facts))
        self._store.audit.write_anchor()
        if result.guard is None:
            raise guard_repo.GuardError(result.message)
        return result.guard

    def note_logout(self, guard_id: int, now: dt.datetime, why: str) -> None:
        """A guard's console session ended (`why`: "button", "idle", "closed", "locked"...): audited."""
        with self._store.writing() as connection:
            digest = audit.canonical_digest({"why": why})
            audit.append(connection, to_text(now), "guard.logout", f"guard:{guard_id}", digest)
        self._store.audit.write_anchor()
