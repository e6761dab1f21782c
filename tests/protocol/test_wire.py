"""Page and notice signatures over exact bytes, cursors, key rings, decisions on the wire."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.model import Booking, Decision, Reason, Verdict
from kiosk.protocol import PROTOCOL_VERSION
from kiosk.protocol.keys import Keyring, SigningKey, b64decode, b64encode
from kiosk.protocol.schema import OfficeInfo, PageBody, ServerKey, WireDecision
from kiosk.protocol.wire import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    CursorValue,
    ProtocolError,
    decision_of,
    keyring_of,
    sign_notice,
    sign_page,
    verify_notice,
    verify_page,
    wire_decision,
)

KEY = SigningKey.generate("k-1")
RING = Keyring({KEY.key_id: KEY.public_raw})


def page_bytes() -> bytes:
    body = PageBody(
        protocol=PROTOCOL_VERSION,
        kiosk_id="K-1",
        office=OfficeInfo(office_code="JKTSEL", rules={}),
        since=None,
        cursor="0a0b0c0d.5",
        has_more=False,
        server_time=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        keys=[ServerKey(key_id=KEY.key_id, public_key=KEY.public_text)],
        bookings=[],
        tombstones=[],
    )
    return body.model_dump_json().encode()


def test_page_signature_covers_the_exact_bytes() -> None:
    body = page_bytes()
    headers = sign_page(KEY, body)
    assert verify_page(RING, headers, body).cursor == "0a0b0c0d.5"
    with pytest.raises(ProtocolError, match="does not verify"):
        verify_page(RING, headers, body.replace(b'"K-1"', b'"K-2"'))
    with pytest.raises(ProtocolError, match="does not verify"):
        verify_page(RING, headers, body + b" ")
    with pytest.raises(ProtocolError, match="does not trust"):
        verify_page(RING, {**headers, KEY_ID_HEADER: "k-2"}, body)
    with pytest.raises(ProtocolError, match="base64"):
        verify_page(RING, {**headers, SIGNATURE_HEADER: "***"}, body)
    with pytest.raises(ProtocolError):
        verify_page(RING, {}, body)
    junk = b'{"protocol": 1}'
    with pytest.raises(ProtocolError, match="schema"):
        verify_page(RING, sign_page(KEY, junk), junk)


def test_notice() -> None:
    text, signature = sign_notice(KEY, {"kiosk_id": "K-1", "revoked_at": "now"})
    assert verify_notice(RING, KEY.key_id, text, signature) == {"kiosk_id": "K-1", "revoked_at": "now"}
    assert verify_notice(RING, KEY.key_id, text.replace("K-1", "K-2"), signature) is None
    assert verify_notice(RING, "k-9", text, signature) is None
    assert verify_notice(RING, KEY.key_id, text, "!!") is None
    # a page signature is no notice signature (purposes differ)
    page_signature = sign_page(KEY, text.encode())[SIGNATURE_HEADER]
    assert verify_notice(RING, KEY.key_id, text, page_signature) is None


def test_cursor() -> None:
    assert str(CursorValue.parse("0a0b0c0d.42")) == "0a0b0c0d.42"
    assert CursorValue.parse("0a0b0c0d.42").seq == 42
    for bad in ("", "x.1", "0a0b0c0d", "0a0b0c0d.-1", "zzzzzzzz.1", "0a0b0c0d.1e3"):
        with pytest.raises(ValueError):
            CursorValue.parse(bad)


def test_keyring() -> None:
    ring = keyring_of([ServerKey(key_id="a", public_key=KEY.public_text)])
    assert ring.key_ids == ["a"] and "a" in ring and len(ring) == 1
    assert ring.texts() == [("a", KEY.public_text)]
    with pytest.raises(ValueError):
        Keyring.from_texts([("a", b64encode(b"short"))])
    with pytest.raises(ValueError):
        b64decode("é")
    assert SigningKey.from_private_text("k", KEY.private_text).public_raw == KEY.public_raw


def test_decision_on_the_wire() -> None:
    booking = Booking(
        "R1", "JKTSEL", dt.date(2026, 12, 1), dt.time(10), dt.time(11), display_name="Budi", nik_last4="1234"
    )
    admit = Decision(Verdict.ADMIT, Reason.OK, 2, booking, {"party_size": "2"})
    assert decision_of(wire_decision(admit, with_personal=True)) == admit
    assert decision_of(wire_decision(admit, with_personal=False)).booking.display_name == ""  # type: ignore[union-attr]
    deny = Decision.of(Reason.ALREADY_ADMITTED, booking, first_entry_gate="G1")
    assert decision_of(wire_decision(deny, with_personal=True)).reason is Reason.ALREADY_ADMITTED
    with pytest.raises(ProtocolError):
        decision_of(WireDecision(verdict=Verdict.ADMIT, reason=Reason.UNKNOWN_CODE))
    with pytest.raises(ProtocolError):
        decision_of(WireDecision(verdict=Verdict.ADMIT, reason=Reason.OK, persons=0))
    assert decision_of(WireDecision(verdict=Verdict.DENY, reason=Reason.FORGED, persons=3)).persons == 0


# --- the office directory (issue 15) ------------------------------------------------------------------


def test_the_office_directory_digest_and_names() -> None:
    import pytest
    from pydantic import ValidationError

    from kiosk.protocol.schema import OfficeName
    from kiosk.protocol.wire import ProtocolError, directory_digest, directory_of

    names = {"SMG": "Kantor Imigrasi Kelas I TPI Semarang", "DPS": "Kantor Imigrasi Kelas I TPI Denpasar"}
    assert directory_digest(names) == directory_digest(dict(reversed(list(names.items()))))  # order-free
    assert directory_digest(names) != directory_digest({**names, "DPS": "Kanim Denpasar"})
    assert directory_digest({}) != directory_digest(names)
    entries = [OfficeName(office_code=code, name=name) for code, name in names.items()]
    assert directory_of(entries) == names
    with pytest.raises(ProtocolError, match="names office SMG twice"):
        directory_of([*entries, OfficeName(office_code="SMG", name="Kanim Semarang")])
    for bad in ("", " Kanim", "Kanim ", "Kanim  Semarang", "Kanim\nSemarang", "Kanim \u202eSemarang", "x" * 121):
        with pytest.raises(ValidationError):
            OfficeName(office_code="SMG", name=bad)
