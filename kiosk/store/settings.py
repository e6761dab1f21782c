"""Per-office rules and the kiosk's identity, kept as JSON values in the settings table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kiosk.domain.model import Category, OfficeRules, PartyAdmission, ReentryPolicy, zone_named
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


def rules_from_json(data: dict[str, Any]) -> OfficeRules:
    """Build rules from stored or configured JSON; unknown keys and bad values raise ValueError."""
    known = {f.name for f in fields(OfficeRules)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown office setting(s): {', '.join(sorted(unknown))}")
    values = dict(data)
    if "refer_categories" in values:
        values["refer_categories"] = frozenset(Category(c) for c in values["refer_categories"])
    if "reentry" in values:
        values["reentry"] = ReentryPolicy(values["reentry"])
    if "party_admission" in values:
        values["party_admission"] = PartyAdmission(values["party_admission"])
    rules = OfficeRules(**values)
    zone_named(rules.zone)
    for name in ("early_minutes", "late_minutes", "max_data_age_minutes"):
        if not 0 <= getattr(rules, name) <= 24 * 60:
            raise ValueError(f"{name} must be between 0 and 1440 minutes")
    if not 0 < rules.debounce_seconds <= 60:
        raise ValueError("debounce_seconds must be between 0 and 60")
    return rules


def identity_from_json(data: dict[str, Any] | None) -> Identity:
    return Identity(**data) if data else Identity()


def identity_to_json(identity: Identity) -> dict[str, Any]:
    return asdict(identity)
