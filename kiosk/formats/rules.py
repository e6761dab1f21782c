"""An office's rules as JSON: how the kiosk keeps them in its settings table, how `kiosk.toml` and
`kiosk server office add --rules` give them, and how the server stores and sends them. Shared by
kiosk/store and kiosk/server; pure (no database)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from kiosk.domain.model import Category, OfficeRules, PartyAdmission, ReentryPolicy, zone_named

MAX_OFFICE_CODE_CHARS = 32  # bookings.office_code is String(32)
_MINUTES = (
    "early_minutes",
    "late_minutes",
    "max_data_age_minutes",
    "burst_minutes",
    "two_gates_minutes",
    "retry_minutes",
)
#: The broker patterns' count (kiosk/domain/patterns.py): 0 turns the burst pattern off.
_COUNTS = ("burst_codes",)
MAX_BURST_CODES = 1000
_FLAGS = ("allow_later_same_day", "deny_needs_ack")


def rules_to_json(rules: OfficeRules) -> dict[str, Any]:
    data = {f.name: getattr(rules, f.name) for f in fields(rules)}
    data["refer_categories"] = sorted(c.value for c in rules.refer_categories)
    data["reentry"] = rules.reentry.value
    data["party_admission"] = rules.party_admission.value
    return data


#: Rules added after the first kiosks shipped (the broker patterns). A kiosk refuses rules it does not
#: know, so the server sends these only when an office sets them away from their defaults: a kiosk of an
#: older version keeps syncing until the office asks for something it cannot do.
LATER_RULES = ("burst_codes", "burst_minutes", "two_gates_minutes", "retry_minutes")


def rules_for_kiosks(data: dict[str, Any]) -> dict[str, Any]:
    """Stored rules as the server sends them: later rules left out where they hold their default."""
    defaults = OfficeRules(office_code="-")
    return {k: v for k, v in data.items() if not (k in LATER_RULES and v == getattr(defaults, k))}


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
    for name in _COUNTS:
        if not 0 <= getattr(rules, name) <= MAX_BURST_CODES:
            raise ValueError(f"{name} must be between 0 (off) and {MAX_BURST_CODES}")
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
    for name in _COUNTS:
        if name in values and not _is_int(values[name]):
            raise ValueError(f"{name} must be a whole number")
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
