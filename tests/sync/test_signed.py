"""Signed booking codes: verified offline against the synced keys, decided on their own fields when the
booking is not held locally, revoked by tombstones, FORGED for anything not genuine; key rotation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from kiosk.domain.model import Reason, Verdict
from kiosk.protocol import codes as signed_codes
from kiosk.protocol.keys import SigningKey
from kiosk.server import keys
from kiosk.server.db import reading, writing
from kiosk.store.schema import BookingRow
from kiosk.sync.client import SyncClient
from tests.server.support import WIB, Admin, ServerProcess, booking, codes, enrolled_kiosk, now, sync
from tests.sync.doorgate import OnlineGate


def sign(admin: Admin, code: str, ref: str, office: str, key: SigningKey | None = None) -> str:
    with reading(admin.engine) as connection:
        key = key or keys.active(connection)
    fields = signed_codes.SignedFields(
        code=code,
        booking_ref=ref,
        office_code=office,
        service_date=now().astimezone(WIB).date(),
        slot_start=dt.time(0, 0),
        slot_end=dt.time(23, 59),
    )
    return signed_codes.encode(fields, key)


def decide_offline(store: object, text: str) -> Reason:
    gate = OnlineGate(store, enabled=False)  # type: ignore[arg-type]
    try:
        return gate.present(text, now()).recorded.decision.reason
    finally:
        gate.close()


def tamper(text: str) -> str:
    index = len(text) // 2
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_signed_codes_offline(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office(signed=True)
    held, later, plain, revoked = codes("SG", 4)
    admin.load([booking(c, f"{office}-{c}", office) for c in (held, plain, revoked)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        client = SyncClient(store)
        client.sync_once()
        assert decide_offline(store, sign(admin, held, f"{office}-{held}", office)) is Reason.OK
        assert decide_offline(store, plain) is Reason.OK  # plain opaque codes keep working
        # a booking made after the last sync: decided from its signed fields, learned without PII
        fresh = sign(admin, later, later, office)
        assert decide_offline(store, fresh) is Reason.OK
        with store.reading() as connection:
            learned = connection.execute(select(BookingRow).where(BookingRow.booking_ref == later)).one()
        assert (learned.version, learned.display_name, learned.nik_last4) == (0, "", "")
        assert decide_offline(store, fresh) is Reason.ALREADY_ADMITTED
        # forged: a changed character, a cut-off signature, trailing bytes, a key the server never had
        genuine = sign(admin, revoked, f"{office}-{revoked}", office)
        for forged in (
            tamper(genuine),
            genuine[:-8],
            genuine + "AAAAAAAA",
            sign(admin, revoked, f"{office}-{revoked}", office, SigningKey.generate("evil")),
        ):
            assert decide_offline(store, forged) is Reason.FORGED, forged
        # revocation: the cancellation reaches the kiosk as a tombstone
        admin.cancel(revoked)
        client.sync_once()
        assert decide_offline(store, genuine) is Reason.CANCELLED
        # and the server, asked online, agrees on all of it
        gate = OnlineGate(store)
        forged = gate.present(tamper(genuine), now()).recorded.decision  # after a burst of forged codes:
        assert forged.facts.get("pattern_of", forged.reason) == Reason.FORGED  # CODE_BURST (patterns.py)
        online = gate.present(genuine, now())
        gate.close()
        cancelled = online.recorded.decision  # refused, a forged code, the same booking again: TRYING_CODES
        assert cancelled.facts.get("pattern_of", cancelled.reason) == Reason.CANCELLED  # (kiosk/domain/patterns.py)
        client.sync_once()
        client.close()


def test_key_rotation(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office(signed=True)
    first, second = codes("KR", 2)
    admin.load([booking(c, f"{office}-{c}", office) for c in (first, second)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store) as client:
        client.sync_once()
        with reading(admin.engine) as connection:
            old = keys.active(connection)
        with writing(admin.engine) as connection:
            keys.rotate(connection, now())
        with reading(admin.engine) as connection:
            new = keys.active(connection)
        # the kiosk trusts only the old key: its next page is signed with it, and pins the new one
        client.sync_once()
        old_code = sign(admin, first, f"{office}-{first}", office, old)
        new_code = sign(admin, second, f"{office}-{second}", office, new)
        assert decide_offline(store, new_code) is Reason.OK
        assert decide_offline(store, old_code) is Reason.OK
        with writing(admin.engine) as connection:
            keys.retire(connection, old.key_id)
        client.sync_once()  # signed with the new key now; the old one is dropped
        again = sign(admin, first, f"{office}-{first}", office, old)
        assert decide_offline(store, again) is Reason.FORGED
        with writing(admin.engine) as connection:  # leave one active key for the other tests
            keys.ensure_key(connection, now())


def test_signed_code_for_another_office(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office, other = admin.office(signed=True), admin.office(signed=True)
    (code,) = codes("SO", 1)
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        sync(store)
        gate = OnlineGate(store, enabled=False)
        result = gate.present(sign(admin, code, code, other), now())
        gate.close()
        assert result.recorded.decision.reason is Reason.WRONG_OFFICE
        assert result.recorded.decision.verdict is Verdict.DENY
