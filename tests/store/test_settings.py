"""Office rules and the kiosk's identity: they round-trip, bad values are refused, changes are audited
and seen by every store on the file at its next scan."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.domain.model import Category, OfficeRules, PartyAdmission, Reason, ReentryPolicy, Verdict
from kiosk.store import settings
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.settings import Identity
from tests.store.conftest import CODE, IDENTITY, NOW, OFFICE, RULES, SETUP, present, raw_sql, table_counts

UNUSUAL = OfficeRules(
    office_code=OFFICE,
    zone="Asia/Makassar",
    early_minutes=45,
    late_minutes=0,
    allow_later_same_day=True,
    reentry=ReentryPolicy.WITHIN_WINDOW,
    party_admission=PartyAdmission.PER_PERSON,
    debounce_seconds=1.5,
    max_data_age_minutes=120,
    deny_needs_ack=True,
    refer_categories=frozenset({Category.SPECIAL_RESCHEDULE}),
)


@pytest.mark.parametrize("rules", [RULES, UNUSUAL, dataclasses.replace(UNUSUAL, refer_categories=frozenset())])
def test_rules_round_trip_through_json(rules: OfficeRules) -> None:
    data = settings.rules_to_json(rules)
    assert settings.rules_from_json(json.loads(json.dumps(data))) == rules


def test_rules_round_trip_through_the_store(store: KioskStore, db_path: Path) -> None:
    identity = Identity(kiosk_id="KIOSK-9", gate="G3", office_code=OFFICE)
    store.settings.configure(identity, UNUSUAL, NOW)
    assert (store.settings.rules(), store.settings.identity()) == (UNUSUAL, identity)
    store.close()
    with KioskStore.open(db_path) as again:
        assert (again.settings.rules(), again.settings.identity()) == (UNUSUAL, identity)


def test_an_unconfigured_kiosk_has_default_rules(db_path: Path) -> None:
    with KioskStore.open(db_path) as store:
        assert store.settings.identity() == Identity()
        assert store.settings.rules() == OfficeRules(office_code=Identity().office_code)


def test_minimal_stored_rules_take_the_defaults() -> None:
    assert settings.rules_from_json({"office_code": OFFICE}) == OfficeRules(office_code=OFFICE)
    assert settings.rules_from_json({"office_code": OFFICE, "zone": "WITA"}).zone_abbreviation == "WITA"
    assert settings.rules_from_json({"office_code": OFFICE, "debounce_seconds": 2}).debounce_seconds == 2.0


BAD_RULES: list[Any] = [
    pytest.param({"office_code": OFFICE, "colour": "red"}, "unknown office setting", id="unknown-key"),
    pytest.param({"zone": "Asia/Jakarta"}, "office_code is required", id="no-office"),
    pytest.param({"office_code": ""}, "non-empty", id="empty-office"),
    pytest.param({"office_code": 12}, "non-empty", id="numeric-office"),
    pytest.param({"office_code": "K" * 33}, "at most 32", id="long-office"),
    pytest.param({"office_code": OFFICE, "zone": "Europe/Berlin"}, "not an Indonesian office time zone", id="zone"),
    pytest.param({"office_code": OFFICE, "zone": "UTC"}, "not an Indonesian", id="utc"),
    pytest.param({"office_code": OFFICE, "early_minutes": -1}, "between 0 and 1440", id="negative"),
    pytest.param({"office_code": OFFICE, "late_minutes": 1441}, "between 0 and 1440", id="too-many-minutes"),
    pytest.param({"office_code": OFFICE, "early_minutes": "30"}, "whole number", id="minutes-as-text"),
    pytest.param({"office_code": OFFICE, "max_data_age_minutes": 1.5}, "whole number", id="minutes-fraction"),
    pytest.param({"office_code": OFFICE, "late_minutes": True}, "whole number", id="minutes-bool"),
    pytest.param({"office_code": OFFICE, "debounce_seconds": 0}, "more than 0", id="no-debounce"),
    pytest.param({"office_code": OFFICE, "debounce_seconds": 61}, "at most 60", id="long-debounce"),
    pytest.param({"office_code": OFFICE, "debounce_seconds": "3"}, "number of seconds", id="debounce-text"),
    pytest.param({"office_code": OFFICE, "allow_later_same_day": "yes"}, "true or false", id="flag-text"),
    pytest.param({"office_code": OFFICE, "deny_needs_ack": 1}, "true or false", id="flag-number"),
    pytest.param({"office_code": OFFICE, "reentry": "forever"}, "forever", id="reentry"),
    pytest.param({"office_code": OFFICE, "party_admission": "half"}, "half", id="party-admission"),
    pytest.param({"office_code": OFFICE, "refer_categories": ["vip"]}, "vip", id="category"),
    pytest.param({"office_code": OFFICE, "refer_categories": "priority"}, "list of categories", id="categories-text"),
    pytest.param(["office_code", OFFICE], "JSON object", id="not-an-object"),
]


@pytest.mark.parametrize(("data", "message"), BAD_RULES)
def test_bad_rules_are_refused(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings.rules_from_json(data)


@pytest.mark.parametrize(
    "data",
    [{"kiosk_id": "K1", "colour": "red"}, {"kiosk_id": ""}, {"gate": 7}, ["K1"]],
    ids=["unknown-key", "empty", "number", "list"],
)
def test_bad_identities_are_refused(data: Any) -> None:
    with pytest.raises(ValueError, match=r"identity|non-empty"):
        settings.identity_from_json(data)


@pytest.mark.parametrize(
    "rules",
    [
        dataclasses.replace(RULES, early_minutes=-5),
        dataclasses.replace(RULES, zone="Asia/Tokyo"),
        dataclasses.replace(RULES, debounce_seconds=0.0),
    ],
    ids=["negative-minutes", "foreign-zone", "no-debounce"],
)
def test_configure_refuses_bad_rules_and_changes_nothing(store: KioskStore, db_path: Path, rules: OfficeRules) -> None:
    before = table_counts(db_path)
    with pytest.raises(StoreError, match="invalid office settings"):
        store.settings.configure(IDENTITY, rules, NOW)
    assert store.settings.rules() == RULES
    assert table_counts(db_path) == before


def test_configure_refuses_rules_for_another_office(store: KioskStore) -> None:
    with pytest.raises(StoreError, match="another office"):
        store.settings.configure(IDENTITY, dataclasses.replace(RULES, office_code="KANIM-BDG"), NOW)


def test_configure_refuses_an_empty_identity(store: KioskStore) -> None:
    with pytest.raises(StoreError, match="invalid office settings"):
        store.settings.configure(Identity(kiosk_id=" ", gate="G1", office_code=OFFICE), RULES, NOW)


def test_configure_is_audited(store: KioskStore, db_path: Path) -> None:
    store.settings.configure(IDENTITY, UNUSUAL, NOW)
    rows = raw_sql(db_path, "SELECT kind, subject FROM audit_log WHERE kind = 'settings' ORDER BY seq")
    assert rows == [("settings", "office"), ("settings", "office")]  # the fixture's and this one
    assert store.audit.verify().ok


def test_rules_changed_by_another_program_apply_at_the_next_scan(store: KioskStore, db_path: Path) -> None:
    early = NOW.replace(hour=9, minute=15)  # 45 min before the 10.00 slot: too early with 30 minutes
    assert store.decisions.decide_only(present(CODE), early).reason is Reason.TOO_EARLY
    with KioskStore.open(db_path) as other:  # e.g. the `kiosk configure` command while the kiosk runs
        other.settings.configure(IDENTITY, dataclasses.replace(RULES, early_minutes=60), SETUP)
    assert store.decisions.decide_only(present(CODE), early).verdict is Verdict.ADMIT
    assert store.settings.rules().early_minutes == 60


@pytest.mark.parametrize("value", ["{not json", '"a string"', '{"office_code": "KANIM-JKTSEL", "zone": "Mars/Base"}'])
def test_rules_damaged_in_the_database_stop_the_kiosk(store: KioskStore, db_path: Path, value: str) -> None:
    raw_sql(db_path, "UPDATE settings SET value = ? WHERE key = ?", (value, settings.RULES_KEY))
    with pytest.raises(StoreError, match="stored office settings are invalid"):
        store.settings.rules()
    with pytest.raises(StoreError, match="stored office settings are invalid"):
        store.decisions.record(present(CODE), NOW)


def test_put_and_get_round_trip_json_values(store: KioskStore) -> None:
    with store.writing() as connection:
        settings.put(connection, "test.value", {"a": [1, 2.5, None, "x"]})
        settings.put(connection, "test.value", {"a": [3]})
    with store.reading() as connection:
        assert settings.get(connection, "test.value") == {"a": [3]}
        assert settings.get(connection, "test.missing") is None
        assert settings.raw_values(connection, ("test.value", "test.missing")) == ('{"a": [3]}', None)
