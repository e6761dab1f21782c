"""Per-office rules and the kiosk's identity, kept as JSON values in the settings table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

# The rules' JSON is shared with the central server (kiosk/formats/rules.py); re-exported for the kiosk.
from kiosk.formats.rules import MAX_OFFICE_CODE_CHARS as MAX_OFFICE_CODE_CHARS  # noqa: PLC0414
from kiosk.formats.rules import rules_from_json as rules_from_json  # noqa: PLC0414
from kiosk.formats.rules import rules_to_json as rules_to_json  # noqa: PLC0414
from kiosk.store.engine import driver
from kiosk.store.schema import SettingRow

RULES_KEY = "office.rules"
IDENTITY_KEY = "kiosk.identity"


@dataclass(frozen=True, slots=True)
class Identity:
    kiosk_id: str = "KIOSK-1"
    gate: str = "G1"
    office_code: str = "DEMO"


def get(connection: Connection, key: str) -> Any | None:
    value = connection.execute(select(SettingRow.value).where(SettingRow.key == key)).scalar()
    return None if value is None else json.loads(value)


def delete(connection: Connection, key: str) -> None:
    connection.execute(sa_delete(SettingRow).where(SettingRow.key == key))


def put(connection: Connection, key: str, value: Any) -> None:
    text = json.dumps(value, sort_keys=True)
    statement = sqlite_insert(SettingRow).values(key=key, value=text)
    connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": text}))


def identity_from_json(data: Any) -> Identity:
    """The stored identity (defaults when none is stored); anything malformed raises ValueError."""
    if not data:
        return Identity()
    if not isinstance(data, dict):
        raise ValueError("the kiosk identity must be a JSON object")
    known = {f.name for f in fields(Identity)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown kiosk identity field(s): {', '.join(sorted(unknown))}")
    for name, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty text")
    return Identity(**data)


def raw_values(connection: Connection, keys: tuple[str, ...]) -> tuple[str | None, ...]:
    """The stored JSON text of `keys` (None where missing), in one query straight to SQLite (see
    engine.driver): cheap enough for every scan."""
    sql = f"SELECT key, value FROM {SettingRow.__tablename__} WHERE key IN ({', '.join('?' * len(keys))})"
    found: dict[str, str] = dict(driver(connection).execute(sql, keys).fetchall())
    return tuple(found.get(key) for key in keys)


def identity_to_json(identity: Identity) -> dict[str, Any]:
    return asdict(identity)
