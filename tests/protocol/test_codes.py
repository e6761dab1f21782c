"""Signed booking codes: round trip, every corruption FORGED, the QR they make, the presentation."""

from __future__ import annotations

import datetime as dt
import string

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Category, OfficeRules, Reason
from kiosk.domain.payload import PayloadKind, parse_payload
from kiosk.protocol import codes
from kiosk.protocol.keys import Keyring, SigningKey

KEY = SigningKey.generate("k-test")
OTHER = SigningKey.generate("k-other")
RING = Keyring({KEY.key_id: KEY.public_raw})


def fields(**changes: object) -> codes.SignedFields:
    base = {
        "code": "MP7K2Q9T3M",
        "booking_ref": "MP7K2Q9T3M",
        "office_code": "JKTSEL",
        "service_date": dt.date(2026, 12, 1),
        "slot_start": dt.time(10, 30),
        "slot_end": dt.time(11, 0),
        "party_size": 3,
        "category": Category.REGULAR,
    }
    base.update(changes)
    return codes.SignedFields(**base)  # type: ignore[arg-type]


alnum = st.text(string.ascii_uppercase + string.digits, min_size=8, max_size=32)
signed_fields = st.builds(
    codes.SignedFields,
    code=alnum,
    booking_ref=st.one_of(alnum, st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,40}", fullmatch=True)),
    office_code=st.from_regex(r"[A-Z0-9][A-Z0-9_-]{0,15}", fullmatch=True),
    service_date=st.dates(dt.date(2020, 1, 1), dt.date(2150, 12, 31)),
    slot_start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    slot_end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    party_size=st.integers(1, 5),
    category=st.sampled_from(list(Category)),
)


@given(signed_fields)
def test_round_trip(value: codes.SignedFields) -> None:
    text = codes.encode(value, KEY)
    assert parse_payload(text).kind is PayloadKind.SIGNED_CODE
    verified = codes.verify(text, RING)
    assert verified is not None and verified.fields == value and verified.key_id == KEY.key_id
    assert codes.verify(text.lower(), RING) is not None  # readers and keyboards may lower-case it


@settings(max_examples=300)
@given(st.data())
def test_any_change_is_forged(data: st.DataObject) -> None:
    text = codes.encode(fields(), KEY)
    body = text[len("KS1.") :]
    index = data.draw(st.integers(0, len(body) - 1))
    replacement = data.draw(st.sampled_from([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" if c != body[index]]))
    changed = "KS1." + body[:index] + replacement + body[index + 1 :]
    assert codes.verify(changed, RING) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # cut off
        lambda t: t[:-20],
        lambda t: t + "A",  # trailing characters
        lambda t: t + "AAAAAAAA",
        lambda t: t[:4] + t[12:],  # a piece missing from the middle
        lambda t: t + "=",
        lambda t: "KS2." + t[4:],
        lambda t: t.replace("KS1.", "KS1"),
        lambda t: "",
    ],
)
def test_malformed_is_forged(mangle: object) -> None:
    text = codes.encode(fields(), KEY)
    assert codes.verify(mangle(text), RING) is None  # type: ignore[operator]


def test_unknown_or_retired_key_is_forged() -> None:
    text = codes.encode(fields(), OTHER)
    assert codes.verify(text, RING) is None
    both = Keyring({KEY.key_id: KEY.public_raw, OTHER.key_id: OTHER.public_raw})
    verified = codes.verify(text, both)
    assert verified is not None and verified.key_id == OTHER.key_id


def test_refuses_fields_it_cannot_carry() -> None:
    for bad in (
        fields(code="short"),
        fields(office_code="jkt sel"),
        fields(booking_ref="a b"),
        fields(party_size=6),
        fields(service_date=dt.date(2019, 12, 31)),
    ):
        with pytest.raises(ValueError):
            codes.encode(bad, KEY)


def test_reading() -> None:
    rules = OfficeRules(office_code="JKTSEL")
    plain = codes.read("MP7K2Q9T3M", RING)
    assert plain.payload.kind is PayloadKind.BOOKING_CODE and plain.fields is None and plain.signature_valid is None
    genuine = codes.read(codes.encode(fields(), KEY), RING)
    assert genuine.signature_valid is True and genuine.payload.code == "MP7K2Q9T3M" and genuine.fields == fields()
    forged = codes.read(codes.encode(fields(), OTHER), RING)
    assert forged.signature_valid is False and forged.fields is None
    from kiosk.domain.model import Circumstances

    at = Circumstances(now=dt.datetime(2026, 12, 1, 3, 40, tzinfo=dt.UTC))
    forged_one = Presentation(forged.payload, 0, forged.signature_valid)
    genuine_one = Presentation(genuine.payload, 0, genuine.signature_valid)
    assert decide(forged_one, None, [], rules, at).reason is Reason.FORGED
    assert decide(genuine_one, fields().booking(), [], rules, at).reason is Reason.OK
    assert decide(Presentation(parse_payload("KS1.AAAAAAAAAAAAAAAA")), None, [], rules, at).reason is Reason.FORGED


# QR size of a typical signed code, and of a long one, at each error-correction level (docs/sync-protocol.md)
QR_TABLE = {
    "typical": (fields(), 150, {"L": 5, "M": 6, "Q": 8, "H": 10}),
    "long": (
        fields(code="MP7K2Q9T3MAB12", booking_ref="MP-2026-0001234567", office_code="JKT-SELATAN"),
        195,
        {"L": 6, "M": 8, "Q": 10, "H": 11},
    ),
}


@pytest.mark.parametrize("name", sorted(QR_TABLE))
def test_qr_version(name: str) -> None:
    value, length, versions = QR_TABLE[name]
    text = codes.encode(value, KEY)
    assert len(text) == length
    for level, version in versions.items():
        qr = segno.make(text, error=level.lower(), boost_error=False, micro=False)
        assert (qr.mode, qr.version) == ("alphanumeric", version)
