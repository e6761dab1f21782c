"""The server's Ed25519 signing keys: create, rotate, retire, and choose one a kiosk already trusts.

Rotation without breaking kiosks: `rotate` makes a new active key and keeps the old one as
"retiring". Pages list both keys, so every kiosk that syncs pins the new one; a kiosk tells which keys
it trusts (X-Kiosk-Keys) and gets pages signed with the newest of those. Once every kiosk has synced,
`retire` drops the old key from the list. Private keys are kept in the database so that every server
instance can sign; protect the database (or its backups) as you would the keys.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kiosk.protocol.keys import SigningKey
from kiosk.protocol.schema import ServerKey
from kiosk.server.db import utc_text
from kiosk.server.models import SigningKeyRow

ACTIVE, RETIRING, RETIRED = "active", "retiring", "retired"


class KeyAdminError(Exception):
    """A key operation that cannot be done."""


def ensure_key(connection: Connection, now: dt.datetime) -> None:
    if connection.execute(select(SigningKeyRow.key_id).where(SigningKeyRow.state == ACTIVE)).first() is None:
        _create(connection, now)


def rotate(connection: Connection, now: dt.datetime) -> str:
    connection.execute(update(SigningKeyRow).where(SigningKeyRow.state == ACTIVE).values(state=RETIRING))
    return _create(connection, now)


def retire(connection: Connection, key_id: str) -> None:
    row = connection.execute(select(SigningKeyRow).where(SigningKeyRow.key_id == key_id)).first()
    if row is None:
        raise KeyAdminError(f"no key {key_id!r}")
    if row.state == ACTIVE:
        raise KeyAdminError(f"{key_id} is the active key; rotate first, then retire it")
    connection.execute(update(SigningKeyRow).where(SigningKeyRow.key_id == key_id).values(state=RETIRED))


def listed(connection: Connection) -> list[ServerKey]:
    """The keys kiosks should trust: active and retiring, newest first."""
    rows = connection.execute(
        select(SigningKeyRow.key_id, SigningKeyRow.public_key)
        .where(SigningKeyRow.state.in_((ACTIVE, RETIRING)))
        .order_by(SigningKeyRow.created_at.desc())
    ).all()
    return [ServerKey(key_id=r.key_id, public_key=r.public_key) for r in rows]


def all_keys(connection: Connection) -> list[Any]:
    return list(connection.execute(select(SigningKeyRow).order_by(SigningKeyRow.created_at)).all())


def signer_for(connection: Connection, known: Iterable[str] = ()) -> SigningKey:
    """The newest listed key the kiosk knows; the active key when it knows none (it will then fail to
    verify and must be enrolled again, which is what retiring every key it knew means)."""
    known_ids = set(known)
    rows = connection.execute(
        select(SigningKeyRow)
        .where(SigningKeyRow.state.in_((ACTIVE, RETIRING)))
        .order_by(SigningKeyRow.created_at.desc())
    )
    candidates = list(rows)
    if not candidates:
        raise KeyAdminError("the server has no signing key; run `kiosk server init`")
    chosen = next((row for row in candidates if row.key_id in known_ids), None)
    if chosen is None:
        chosen = next((row for row in candidates if row.state == ACTIVE), candidates[0])
    return SigningKey.from_private_text(chosen.key_id, chosen.private_key)


def active(connection: Connection) -> SigningKey:
    return signer_for(connection, ())


def _create(connection: Connection, now: dt.datetime) -> str:
    key_id = f"k-{now.astimezone(dt.UTC):%Y%m%d}-{secrets.token_hex(2)}"
    key = SigningKey.generate(key_id)
    connection.execute(
        insert(SigningKeyRow).values(
            key_id=key_id,
            private_key=key.private_text,
            public_key=key.public_text,
            state=ACTIVE,
            created_at=utc_text(now),
        )
    )
    return key_id
