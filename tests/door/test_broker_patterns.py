"""Broker patterns on the door's path with the online check (the path of `kiosk run`): the kiosk learns
another gate's use of a booking from the server's answer across gates (TWO_GATES), and notices a
booking tried again after a refusal and another code (TRYING_CODES) in its own recorded scans, whoever
decided them. The thresholds are the office's rules, set at the server; times are passed in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from kiosk.domain.model import Reason, Verdict
from kiosk.door import Door, DoorSettings, Sighting
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow
from tests.server.conftest import admin, backend, calm_server, server, server_db
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, now, sync

__all__ = ["admin", "backend", "calm_server", "server", "server_db"]

MINUTE = dt.timedelta(minutes=1)
BUDGET_S = 3.0  # generous for a loaded machine: these tests are about which path decides


def alert_kinds(store: KioskStore, event_uuid: str) -> list[str]:
    with store.reading() as connection:
        rows = connection.execute(select(AuditRow.kind).where(AuditRow.subject == event_uuid)).all()
    return sorted(row.kind for row in rows if row.kind.startswith("alert."))


def test_the_same_booking_at_two_gates_within_the_offices_minutes(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office(two_gates_minutes=5)  # the central server sets the threshold
    first, second = codes("TG", 2)
    admin.load([booking(code, f"{office}-{code}", office) for code in (first, second)])
    with (
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G1") as one,
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G2") as two,
        Door(one, DoorSettings(budget_s=BUDGET_S)) as door_one,
        Door(two, DoorSettings(budget_s=BUDGET_S)) as door_two,
    ):
        for store in (one, two):
            sync(store)
        assert two.settings.rules().two_gates_minutes == 5
        start = now()
        assert door_one.present(Sighting(first, start)).decision.verdict is Verdict.ADMIT
        at_two = door_two.present(Sighting(first, start + 2 * MINUTE))
        decision = at_two.decision
        assert at_two.decided_by == "server"  # only the server knows of G1's entry
        assert (decision.verdict, decision.reason) == (Verdict.REFER, Reason.TWO_GATES)
        assert (decision.facts["pattern_of"], decision.facts["other_gate"]) == ("ALREADY_ADMITTED", "G1")
        assert decision.booking is not None and decision.booking.display_name  # for the guard's ID check
        assert alert_kinds(two, at_two.event_uuid) == ["alert.two_gates"]

        # later than the office's minutes: an ordinary second use, no alert
        assert door_one.present(Sighting(second, start)).decision.verdict is Verdict.ADMIT
        late = door_two.present(Sighting(second, start + 6 * MINUTE))
        assert (late.decided_by, late.decision.reason) == ("server", Reason.ALREADY_ADMITTED)
        assert alert_kinds(two, late.event_uuid) == []

        sync(two)
        on_server = {row.event_uuid: row.reason for row in admin.events(office)}
        assert (on_server[at_two.event_uuid], on_server[late.event_uuid]) == ("TWO_GATES", "ALREADY_ADMITTED")


def test_a_booking_tried_again_after_a_refusal_and_another_code(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office()
    cancelled, other, unknown = codes("TC", 3)  # `unknown` is in no booking
    admin.load([booking(code, f"{office}-{code}", office) for code in (cancelled, other)])
    admin.cancel(cancelled)
    with (
        enrolled_kiosk(tmp_path, calm_server, admin, office, "G1") as store,
        Door(store, DoorSettings(budget_s=BUDGET_S)) as door,
    ):
        sync(store)
        start = now()
        refused = door.present(Sighting(cancelled, start))
        assert (refused.decided_by, refused.decision.reason) == ("server", Reason.CANCELLED)
        assert door.present(Sighting(cancelled, start + MINUTE / 6)).decision.reason is Reason.CANCELLED  # no pattern
        assert door.present(Sighting(other, start + MINUTE / 4)).decision.verdict is Verdict.ADMIT  # the next one
        assert door.present(Sighting(unknown, start + MINUTE / 3)).decision.reason is Reason.UNKNOWN_CODE
    # a restart in between: the memory is the recorded scans
    with KioskStore.open(store.path, create=False) as reopened, Door(reopened, DoorSettings(budget_s=BUDGET_S)) as door:
        again = door.present(Sighting(cancelled, start + MINUTE))
        decision = again.decision
        assert (again.decided_by, decision.verdict, decision.reason) == ("server", Verdict.REFER, Reason.TRYING_CODES)
        assert (decision.facts["pattern_of"], decision.facts["codes_between"]) == ("CANCELLED", "2")
        assert alert_kinds(reopened, again.event_uuid) == ["alert.trying_codes"]
        # shown once more right away, with no other code since: the refusal stands, no new alert
        assert door.present(Sighting(cancelled, start + 2 * MINUTE)).decision.reason is Reason.CANCELLED
