"""Guards and their PINs: scrypt hashes only, a PIN policy, lockout after five wrong PINs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kiosk.store import guards as guard_repo
from kiosk.store.db import KioskStore
from kiosk.store.guards import GuardError
from tests.store.conftest import NOW, file_bytes, raw_sql

PIN = "482913"
OTHER_PIN = "907162"
GUARD = "Andi Saputra"


@pytest.fixture
def guarded(store: KioskStore) -> KioskStore:
    store.guards.add(GUARD, PIN, NOW)
    return store


def test_a_pin_is_never_stored_in_clear(guarded: KioskStore, db_path: Path) -> None:
    guarded.guards.authenticate(GUARD, PIN, NOW)
    with pytest.raises(GuardError):
        guarded.guards.authenticate(GUARD, OTHER_PIN, NOW)
    assert PIN.encode() not in file_bytes(db_path)
    assert OTHER_PIN.encode() not in file_bytes(db_path)
    guarded.close()
    assert PIN.encode() not in file_bytes(db_path)


def test_the_stored_pin_is_an_salted_scrypt_hash(guarded: KioskStore, db_path: Path) -> None:
    ((stored,),) = raw_sql(db_path, "SELECT pin_hash FROM guards WHERE name = ?", (GUARD,))
    assert re.fullmatch(r"scrypt\$16384\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}", stored)
    assert guard_repo.pin_matches(PIN, stored)
    assert not guard_repo.pin_matches(OTHER_PIN, stored)
    assert guard_repo.hash_pin(PIN) != guard_repo.hash_pin(PIN)  # a fresh salt every time


@pytest.mark.parametrize(
    "stored", ["", "plain482913", "bcrypt$1$2$3$00$00", "scrypt$x$8$1$00$00", "scrypt$16384$8$1$zz$00"]
)
def test_a_malformed_stored_hash_never_matches(stored: str) -> None:
    assert not guard_repo.pin_matches(PIN, stored)


@pytest.mark.parametrize("pin", ["482913", "90817263", "759301846257"])
def test_good_pins_pass_the_policy(pin: str) -> None:
    guard_repo.check_pin_policy(pin)


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("48291", "6 to 12 digits"),
        ("4829134829134", "6 to 12 digits"),
        ("", "digits only"),
        ("48a913", "digits only"),
        (" 482913", "digits only"),
        ("٤٨٢٩١٣", "digits only"),  # Arabic-Indic digits: isdigit() but not ASCII
        ("４８２９１３", "digits only"),  # full-width digits
        ("123456", "too easy"),
        ("000000", "too easy"),
        ("777777777", "too easy"),
    ],
)
def test_bad_pins_are_refused(guarded: KioskStore, pin: str, message: str) -> None:
    with pytest.raises(GuardError, match=message):
        guard_repo.check_pin_policy(pin)
    with pytest.raises(GuardError, match=message):
        guarded.guards.add("Another Guard", pin, NOW)
    assert [g.name for g in guarded.guards.all()] == [GUARD]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "Andi\nSaputra", "Andi\u202eSaputra"])
def test_bad_guard_names_are_refused(store: KioskStore, name: str) -> None:
    with pytest.raises(GuardError, match="printable"):
        store.guards.add(name, PIN, NOW)


def test_a_guard_name_is_unique(guarded: KioskStore) -> None:
    with pytest.raises(GuardError, match="already exists"):
        guarded.guards.add(f"  {GUARD} ", OTHER_PIN, NOW)


def test_the_right_pin_lets_the_guard_in(guarded: KioskStore) -> None:
    guard = guarded.guards.authenticate(GUARD, PIN, NOW)
    assert (guard.name, guard.active, guard.failed_attempts) == (GUARD, True, 0)


def test_an_unknown_guard_is_refused(guarded: KioskStore) -> None:
    with pytest.raises(GuardError, match="no guard named"):
        guarded.guards.authenticate("Nobody", PIN, NOW)


def test_five_wrong_pins_lock_the_guard_out(guarded: KioskStore) -> None:
    messages = []
    for attempt in range(5):
        with pytest.raises(GuardError) as caught:
            guarded.guards.authenticate(GUARD, OTHER_PIN, NOW + dt.timedelta(seconds=attempt))
        messages.append(str(caught.value))
    assert messages == [
        "wrong PIN (4 tries left)",
        "wrong PIN (3 tries left)",
        "wrong PIN (2 tries left)",
        "wrong PIN (1 tries left)",
        "wrong PIN; locked for 5 minutes",
    ]
    # even the right PIN is refused until the lockout has passed (time is a parameter)
    for later in (dt.timedelta(seconds=5), dt.timedelta(minutes=4, seconds=59)):
        with pytest.raises(GuardError, match="too many wrong PINs; locked until 03:20 UTC"):
            guarded.guards.authenticate(GUARD, PIN, NOW + later)
    guard = guarded.guards.authenticate(GUARD, PIN, NOW + guard_repo.LOCKOUT + dt.timedelta(seconds=5))
    assert (guard.failed_attempts, guard.locked_until) == (0, None)


def test_a_right_pin_resets_the_count(guarded: KioskStore) -> None:
    for _ in range(4):
        with pytest.raises(GuardError):
            guarded.guards.authenticate(GUARD, OTHER_PIN, NOW)
    guarded.guards.authenticate(GUARD, PIN, NOW)
    with pytest.raises(GuardError, match="4 tries left"):
        guarded.guards.authenticate(GUARD, OTHER_PIN, NOW)


def test_failures_are_committed_and_survive_a_reopen(guarded: KioskStore, db_path: Path) -> None:
    for _ in range(3):
        with pytest.raises(GuardError):
            guarded.guards.authenticate(GUARD, OTHER_PIN, NOW)
    guarded.close()
    with KioskStore.open(db_path) as again:
        assert [g.failed_attempts for g in again.guards.all()] == [3]
        with pytest.raises(GuardError, match="1 tries left"):
            again.guards.authenticate(GUARD, OTHER_PIN, NOW)
        with pytest.raises(GuardError, match="locked for 5 minutes"):
            again.guards.authenticate(GUARD, OTHER_PIN, NOW)
    # and a lockout survives a restart of the kiosk
    with KioskStore.open(db_path) as third, pytest.raises(GuardError, match="too many wrong PINs"):
        third.guards.authenticate(GUARD, PIN, NOW + dt.timedelta(minutes=1))


def test_a_disabled_guard_is_refused_even_with_the_right_pin(guarded: KioskStore) -> None:
    guarded.guards.set_active(GUARD, False, NOW)
    with pytest.raises(GuardError, match="this guard is disabled"):
        guarded.guards.authenticate(GUARD, PIN, NOW)
    assert [g.active for g in guarded.guards.all()] == [False]
    guarded.guards.set_active(GUARD, True, NOW)
    assert guarded.guards.authenticate(GUARD, PIN, NOW).active


def test_guard_changes_are_audited_by_id_not_by_name(guarded: KioskStore, db_path: Path) -> None:
    guarded.guards.set_active(GUARD, False, NOW)
    rows = raw_sql(db_path, "SELECT kind, subject FROM audit_log WHERE kind LIKE 'guard.%' ORDER BY seq")
    guard_id = guarded.guards.all()[0].id
    assert rows == [("guard.add", f"guard:{guard_id}"), ("guard.disable", f"guard:{guard_id}")]
    assert guarded.audit.verify().ok
