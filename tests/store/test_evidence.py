"""Evidence that cannot be quietly rewritten (issue 13): a lost database is not made anew, a damaged one
does not admit, guards' logins, lockouts and leaving kiosk mode are in the audit chain, and the PII
inventory names every file holding personal data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.domain.model import Verdict
from kiosk.store import audit, guard_actions
from kiosk.store import guards as guard_repo
from kiosk.store.codes import key_path_for
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.engine import feed_path_for
from kiosk.store.guards import GuardError
from tests.store.conftest import CODE, NOW, break_btree_page, new_store, present, raw_sql

PIN = "482913"
OTHER_PIN = "907162"
GUARD = "Andi Saputra"
RESTORE = r"restore kiosk\.db from the backup \(with its -wal file if any\); the kiosk never makes it anew"


# --- A: a lost database is restored, never made anew --------------------------------------------------


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_a_lost_database_beside_its_companions_is_refused_and_not_made_anew(db_path: Path, how: str) -> None:
    new_store(db_path).close()
    for companion in (key_path_for(db_path), feed_path_for(db_path), audit.anchor_path_for(db_path)):
        assert companion.exists()
    if how == "emptied":
        db_path.write_bytes(b"")
    else:
        db_path.unlink()
    state = "empty" if how == "emptied" else "missing"
    with pytest.raises(
        StoreError, match=rf"kiosk\.db is {state} but its key file, booking file and audit head .*{RESTORE}"
    ):
        KioskStore.open(db_path)
    assert (db_path.stat().st_size == 0) if how == "emptied" else not db_path.exists()


def test_a_brand_new_database_without_companions_is_still_made(tmp_path: Path) -> None:
    with KioskStore.open(tmp_path / "fresh.db") as store:
        assert store.bookings.count() == 0


# --- B: a damaged file is refused at open, and a failed check later stops every admission -------------


@pytest.mark.parametrize(
    ("which", "name", "said"),
    [("database", "guards", "the database file"), ("booking file", "ix_bookings_service_date", "the booking file")],
)
def test_a_damaged_file_is_refused_at_open(db_path: Path, which: str, name: str, said: str) -> None:
    """A page no scan reads (the guards; the bookings' date index) is damaged: without a check of the
    whole file the kiosk would go on deciding and recording on it."""
    new_store(db_path).close()
    break_btree_page(db_path if which == "database" else feed_path_for(db_path), name)
    with pytest.raises(StoreError) as refused:
        KioskStore.open(db_path)
    message = str(refused.value)
    assert "is damaged (" in message and "restore it from" in message and "\n" not in message
    assert which == "database" or said in message


def test_a_failed_check_while_running_stops_every_admission_until_reopened(db_path: Path) -> None:
    store = new_store(db_path)
    try:
        store.guards.add(GUARD, PIN, NOW)
        first = store.decisions.record(present(CODE), NOW)
        assert first.decision.verdict is Verdict.ADMIT
        assert store.check_files() is None
        guard = store.guards.all()[0].id
        store.engine.dispose()  # nothing holds the file: the damage below is what the next reader sees
        break_btree_page(db_path, "guards")
        problem = store.check_files()
        assert problem is not None and "damaged" in problem
        assert store.failed_check == problem
        later = NOW + dt.timedelta(minutes=1)
        with pytest.raises(StoreError, match="the database check failed, nothing is admitted"):
            store.decisions.record(present(CODE), later)
        with pytest.raises(StoreError, match="the database check failed"):
            store.decisions.decide_only(present(CODE), later)
        with pytest.raises(StoreError, match="the database check failed"):
            store.decisions.record_decided(present(CODE), first.decision, later, "camera", "e" * 36)
        with pytest.raises(StoreError, match="the database check failed"):
            guard_actions.override(store, first.event_uuid, guard, guard_actions.OverrideReason.ID_CHECKED, later)
        assert raw_sql(db_path, "SELECT count(*) FROM scan_events") == [(1,)]
    finally:
        store.close()


# --- C: guard accountability --------------------------------------------------------------------------


@pytest.fixture
def guarded(store: KioskStore) -> KioskStore:
    store.guards.add(GUARD, PIN, NOW)
    return store


def guard_entries(db_path: Path) -> list[tuple[str, str]]:
    return raw_sql(
        db_path,
        "SELECT kind, subject FROM audit_log WHERE kind LIKE 'guard.%' OR kind LIKE 'kiosk.%' ORDER BY seq",
    )


def test_logins_wrong_pins_lockouts_logouts_and_leaving_are_audited_without_pins(
    guarded: KioskStore, db_path: Path
) -> None:
    gid = guarded.guards.all()[0].id
    subject = f"guard:{gid}"
    assert guard_actions.login(guarded, GUARD, PIN, NOW).outcome is guard_actions.LoginOutcome.OK
    guarded.guards.note_logout(gid, NOW, "button")
    for attempt in range(5):
        guard_actions.login(guarded, GUARD, OTHER_PIN, NOW + dt.timedelta(seconds=attempt))
    assert (
        guard_actions.login(guarded, GUARD, PIN, NOW + dt.timedelta(minutes=1)).outcome
        is guard_actions.LoginOutcome.LOCKED
    )
    later = NOW + dt.timedelta(minutes=6)
    assert guard_actions.login(guarded, GUARD, PIN, later, "leave").outcome is guard_actions.LoginOutcome.OK
    assert guard_entries(db_path) == [
        ("guard.add", subject),
        ("guard.login", subject),
        ("guard.logout", subject),
        *[("guard.pin_wrong", subject)] * 4,
        ("guard.lockout", subject),
        ("guard.pin_locked", subject),
        ("kiosk.leave", subject),
    ]
    assert guarded.audit.verify().ok
    pin_hash = raw_sql(db_path, "SELECT pin_hash FROM guards")[0][0]
    for row in raw_sql(db_path, "SELECT * FROM audit_log"):
        text = "|".join(str(value) for value in row)
        for secret in (PIN, OTHER_PIN, pin_hash, pin_hash.split("$")[-1], pin_hash.split("$")[-2]):
            assert secret not in text


def test_repeated_lockouts_double_and_a_good_login_resets_them(guarded: KioskStore) -> None:
    def lock_out(at: dt.datetime) -> str:
        for attempt in range(guard_repo.MAX_FAILED_ATTEMPTS):
            with pytest.raises(GuardError) as caught:
                guarded.guards.authenticate(GUARD, OTHER_PIN, at + dt.timedelta(seconds=attempt))
        return str(caught.value)

    at = NOW
    for minutes in (5, 10, 20, 40):
        assert lock_out(at) == f"wrong PIN; locked for {minutes} minutes"
        last = at + dt.timedelta(seconds=guard_repo.MAX_FAILED_ATTEMPTS - 1)
        with pytest.raises(GuardError, match="too many wrong PINs"):
            guarded.guards.authenticate(GUARD, PIN, last + dt.timedelta(minutes=minutes) - dt.timedelta(seconds=1))
        at = last + dt.timedelta(minutes=minutes, seconds=1)
    guard = guarded.guards.authenticate(GUARD, PIN, at)  # a good login: the next lockout is short again
    assert (guard.failed_attempts, guard.locked_until, guard.lockouts) == (0, None, 0)
    assert lock_out(at + dt.timedelta(minutes=1)) == "wrong PIN; locked for 5 minutes"
    assert guard_repo.lockout_for(1000) == guard_repo.MAX_LOCKOUT


def test_configuring_the_office_is_audited(store: KioskStore, db_path: Path) -> None:
    before = store.audit.head().seq
    store.settings.configure(store.settings.identity(), store.settings.rules(), NOW)
    assert raw_sql(db_path, "SELECT kind, subject FROM audit_log WHERE seq > ?", (before,)) == [("settings", "office")]


# --- D: the PII inventory names every file with personal data -----------------------------------------


def test_the_pii_files_are_the_database_the_booking_file_and_their_logs(store: KioskStore, db_path: Path) -> None:
    store.decisions.record(present(CODE), NOW)  # the kiosk is running: both WALs are there
    files = {label: (path, holds) for label, path, holds in store.retention.pii_files()}
    feed = feed_path_for(db_path)
    assert files["database"][0] == db_path
    assert files["booking file"][0] == feed
    assert "names" in files["booking file"][1] and "NIK" in files["booking file"][1]
    for base in (db_path, feed):
        for suffix in ("-wal", "-shm"):
            companion = base.with_name(base.name + suffix)
            assert companion.exists()
            assert companion in {path for path, _holds in files.values()}
