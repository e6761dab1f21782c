"""Databases as older kiosk versions left them, for the migration tests (tests/store/test_migrations.py)
and the upload of what they hold (tests/sync/test_refused.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.domain.payload import mask_code, parse_payload
from kiosk.store import audit, migrate, settings
from kiosk.store.codes import key_path_for, load_or_create_key
from kiosk.store.engine import feed_path_for, make_engine, make_feed_engine
from kiosk.store.recorder import write_event
from kiosk.store.times import to_text
from tests.store.conftest import CODE, IDENTITY, NOW, RULES, write_fixed_key

#: A forged signed code as a reader sees it: 160 characters (a genuine one is about as long).
FORGED = "KS1." + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 5)[:150] + "WXYZ67"
LONG_UUID = "0b5d4c1e-0003-4f00-8000-00000000f04d"
SHORT_UUID = "0b5d4c1e-0003-4f00-8000-00000000c0de"


@dataclass(frozen=True)
class Old0003:
    """What a 0003 database built by build_0003_with_a_long_masked_code() holds."""

    code_hash: bytes  # the forged code's keyed hash (scan_events.code_hash)
    old_masked: str  # mask_code(FORGED): 160 characters, in scan_events and in the outbox body
    bodies: dict[str, dict[str, Any]]  # outbox body per event uuid


def old_event_row(uuid: str, text: str, code_hash: bytes, verdict: str, reason: str) -> dict[str, Any]:
    """A scan event's row as the kiosk wrote it up to migration 0003: the masked code was
    mask_code() of the whole payload, however long."""
    payload = parse_payload(text)
    return {
        "event_uuid": uuid,
        "occurred_at": to_text(NOW),
        "kind": "scan",
        "kiosk_id": IDENTITY.kiosk_id,
        "gate": IDENTITY.gate,
        "booking_ref": None,
        "code_hash": code_hash,
        "code_masked": mask_code(payload.code),
        "payload_kind": payload.kind.value,
        "verdict": verdict,
        "reason": reason,
        "persons": 0,
        "service_date": None,
        "guard_id": None,
        "ref_event": None,
        "note": None,
        "facts": json.dumps({"source": "camera"}, sort_keys=True),
    }


def build_0003_with_a_long_masked_code(db_path: Path) -> Old0003:
    """A configured kiosk database at schema 0003 with two events written as that version wrote them
    (event, outbox row and audit entry in one transaction): a forged signed code, whose masked code
    (160 characters) the wire refuses, and an unknown booking code, whose masked code is short."""
    write_fixed_key(db_path)
    feed = make_feed_engine(feed_path_for(db_path), synchronous="FULL")
    try:
        migrate.upgrade_feed(feed)
    finally:
        feed.dispose()
    engine = make_engine(db_path, feed=feed_path_for(db_path))
    try:
        migrate.upgrade(engine, "0003")
        assert migrate.current_revision(engine) == "0003"
        hasher = load_or_create_key(key_path_for(db_path), create=False)
        forged_hash = hasher.hash(parse_payload(FORGED).code)
        with engine.begin() as connection:
            settings.put(connection, settings.IDENTITY_KEY, settings.identity_to_json(IDENTITY))
            settings.put(connection, settings.RULES_KEY, settings.rules_to_json(RULES))
            long_row = old_event_row(LONG_UUID, FORGED, forged_hash, "DENY", "FORGED")
            write_event(connection, long_row, IDENTITY)
            short_row = old_event_row(SHORT_UUID, CODE, hasher.hash(CODE), "DENY", "UNKNOWN_CODE")
            head = write_event(connection, short_row, IDENTITY)
            bodies = {
                uuid: json.loads(body)
                for uuid, body in connection.exec_driver_sql("SELECT event_uuid, body FROM outbox").all()
            }
        audit.write_anchor(audit.anchor_path_for(db_path), head)  # as the kiosk does after each commit
    finally:
        engine.dispose()
    assert len(long_row["code_masked"]) == len(FORGED) == 160
    return Old0003(forged_hash, long_row["code_masked"], bodies)
