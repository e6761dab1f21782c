"""Office rules as JSON: the broker patterns' thresholds travel with the rest (server -> kiosk), and
bad values are refused by name."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from kiosk.domain.model import OfficeRules
from kiosk.formats.rules import LATER_RULES, rules_for_kiosks, rules_from_json, rules_to_json


def test_the_broker_thresholds_have_sensible_defaults_and_round_trip() -> None:
    rules = OfficeRules("DPS")
    assert (rules.burst_codes, rules.burst_minutes, rules.two_gates_minutes, rules.retry_minutes) == (5, 2, 10, 10)
    changed = rules_from_json({"office_code": "DPS", "burst_codes": 3, "burst_minutes": 5, "two_gates_minutes": 0})
    assert (changed.burst_codes, changed.burst_minutes, changed.two_gates_minutes) == (3, 5, 0)
    assert rules_from_json(rules_to_json(changed)) == changed
    assert {"burst_codes", "burst_minutes", "two_gates_minutes", "retry_minutes"} <= set(rules_to_json(changed))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"burst_codes": "5"}, "burst_codes must be a whole number"),
        ({"burst_codes": True}, "burst_codes must be a whole number"),
        ({"burst_codes": -1}, "burst_codes must be between 0"),
        ({"burst_codes": 1001}, "burst_codes must be between 0"),
        ({"burst_minutes": 2.5}, "burst_minutes must be a whole number of minutes"),
        ({"two_gates_minutes": -1}, "two_gates_minutes must be between 0 and 1440"),
        ({"retry_minutes": 1441}, "retry_minutes must be between 0 and 1440"),
    ],
)
def test_bad_thresholds_are_refused_by_name(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules_from_json({"office_code": "DPS", **values})


# What a kiosk of the first version knows: every rule but the later ones (it refuses unknown keys).
FIRST_VERSION_RULES = {f.name for f in fields(OfficeRules)} - set(LATER_RULES)


@pytest.mark.parametrize(
    ("changes", "sent_later"),
    [
        ({}, set()),
        ({"early_minutes": 15}, set()),
        ({"burst_codes": 3}, {"burst_codes"}),
        ({"burst_codes": 0, "retry_minutes": 30}, {"burst_codes", "retry_minutes"}),
        ({"two_gates_minutes": 10}, set()),  # its default: left out
    ],
)
def test_later_rules_reach_kiosks_only_when_an_office_sets_them(changes: dict[str, Any], sent_later: set[str]) -> None:
    stored = rules_to_json(rules_from_json({"office_code": "DPS", **changes}))
    sent = rules_for_kiosks(stored)
    assert set(sent) - FIRST_VERSION_RULES == sent_later
    assert set(sent) >= FIRST_VERSION_RULES  # the rules every kiosk knows always travel
    assert rules_from_json(sent) == rules_from_json(stored)  # a new kiosk reads the same rules
