"""Per-office rules and the kiosk's identity, kept as JSON values in the settings table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kiosk.domain.model import Category, OfficeRules, PartyAdmission, ReentryPolicy, zone_named
from kiosk.store.engine import driver
from kiosk.store.schema import SettingRow

RULES_KEY = "office.rules"
MAX_OFFICE_CODE_CHARS = 32  # bookings.office_code is String(32)
_MINUTES = ("early_minutes", "late_minutes", "max_data_age_minutes")
_FLAGS = ("allow_later_same_day", "deny_needs_ack")
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


def rules_to_json(rules: OfficeRules) -> dict[str, Any]:
    data = {f.name: getattr(rules, f.name) for f in fields(rules)}
    data["refer_categories"] = sorted(c.value for c in rules.refer_categories)
    data["reentry"] = rules.reentry.value
    data["party_admission"] = rules.party_admission.value
    return data


def rules_from_json(data: Any) -> OfficeRules:
    """Build rules from stored or configured JSON; unknown keys, wrong types and bad values raise ValueError."""
    if not isinstance(data, dict):
        raise ValueError("office rules must be a JSON object")
    known = {f.name for f in fields(OfficeRules)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown office setting(s): {', '.join(sorted(unknown))}")
    _check_types(data)
    values = dict(data)
    if "debounce_seconds" in values:
        values["debounce_seconds"] = float(values["debounce_seconds"])
    if "refer_categories" in values:
        values["refer_categories"] = frozenset(Category(c) for c in values["refer_categories"])
    if "reentry" in values:
        values["reentry"] = ReentryPolicy(values["reentry"])
    if "party_admission" in values:
        values["party_admission"] = PartyAdmission(values["party_admission"])
    rules = OfficeRules(**values)
    zone_named(rules.zone)
    for name in _MINUTES:
        if not 0 <= getattr(rules, name) <= 24 * 60:
            raise ValueError(f"{name} must be between 0 and 1440 minutes")
    if not 0 < rules.debounce_seconds <= 60:
        raise ValueError("debounce_seconds must be more than 0 and at most 60")
    return rules


def _check_types(values: dict[str, Any]) -> None:
    """JSON types first: a string where minutes belong must not reach a comparison as a TypeError."""
    for name in ("office_code", "zone"):
        if name in values and (not isinstance(values[name], str) or not values[name].strip()):
            raise ValueError(f"{name} must be a non-empty text")
    if not values.get("office_code"):
        raise ValueError("office_code is required")
    if len(values["office_code"]) > MAX_OFFICE_CODE_CHARS:
        raise ValueError(f"office_code has at most {MAX_OFFICE_CODE_CHARS} characters")
    for name in _MINUTES:
        if name in values and not _is_int(values[name]):
            raise ValueError(f"{name} must be a whole number of minutes")
    for name in _FLAGS:
        if name in values and not isinstance(values[name], bool):
            raise ValueError(f"{name} must be true or false")
    debounce = values.get("debounce_seconds", 1.0)
    if not (_is_int(debounce) or isinstance(debounce, float)):
        raise ValueError("debounce_seconds must be a number of seconds")
    categories = values.get("refer_categories", [])
    if not isinstance(categories, list | tuple | set | frozenset):
        raise ValueError("refer_categories must be a list of categories")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
