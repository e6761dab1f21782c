"""Signed booking codes ("KS1."): a compact, offline-verifiable QR payload.

Layout of the base32 body (RFC 4648 alphabet, no padding, so the whole text fits QR alphanumeric mode):

    byte 0     flags: bits 0-2 party size (1..5), bits 3-4 category, bit 5 "booking ref = code",
               bits 6-7 zero
    bytes 1-2  key tag: first two bytes of SHA-256 of the signing key's raw public key
    bytes 3-4  service date: days since 2020-01-01 (big-endian)
    bytes 5-6  slot start, minutes after midnight in the office's zone
    bytes 7-8  slot end, minutes after midnight
    then       office code, booking code, and (unless bit 5) booking ref: each one length byte + ASCII
    last 64    Ed25519 signature over b"KS1" + everything before it

A typical code (6-letter office, 10-character code) is 92 bytes, 152 characters with the prefix: a QR
version 6 symbol at error correction M (see docs/sync-protocol.md for the table). Verification is
total: any malformed, truncated, padded or extended body, unknown key tag or bad signature is "not
valid", which the decision turns into FORGED. Nothing here raises on hostile input.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import struct
from dataclasses import dataclass

from kiosk.domain.model import MAX_PARTY_SIZE, Booking, Category, Status
from kiosk.domain.payload import SIGNED_PREFIX, Payload, PayloadKind, mask_code, parse_payload
from kiosk.protocol.keys import CODE_PURPOSE, SIGNATURE_BYTES, Keyring, SigningKey

EPOCH = dt.date(2020, 1, 1)
_HEADER = struct.Struct(">B2sHHH")
_CATEGORIES = (Category.REGULAR, Category.PRIORITY_WALKIN, Category.LOST_PASSPORT_WALKIN, Category.SPECIAL_RESCHEDULE)
_CODE = re.compile(r"[A-Z0-9]{8,32}")
_OFFICE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_REF_IS_CODE = 0x20


@dataclass(frozen=True, slots=True)
class SignedFields:
    """What a signed code binds."""

    code: str
    booking_ref: str
    office_code: str
    service_date: dt.date
    slot_start: dt.time
    slot_end: dt.time
    party_size: int = 1
    category: Category = Category.REGULAR

    def booking(self) -> Booking:
        """The booking the code vouches for, for a kiosk that does not hold it locally. Version 0, so any
        version from the feed replaces it; status active, because a cancelled or rescheduled booking
        reaches the kiosk as a tombstone, which the lookup finds first."""
        return Booking(
            booking_ref=self.booking_ref,
            office_code=self.office_code,
            service_date=self.service_date,
            slot_start=self.slot_start,
            slot_end=self.slot_end,
            status=Status.ACTIVE,
            party_size=self.party_size,
            category=self.category,
            code_masked=mask_code(self.code),
            version=0,
        )


@dataclass(frozen=True, slots=True)
class Verified:
    fields: SignedFields
    key_id: str


def encode(fields: SignedFields, key: SigningKey) -> str:
    """The QR text for a booking. Raises ValueError for fields the format cannot carry."""
    _check_fields(fields)
    flags = fields.party_size | (_CATEGORIES.index(fields.category) << 3)
    ref_is_code = fields.booking_ref == fields.code
    if ref_is_code:
        flags |= _REF_IS_CODE
    body = _HEADER.pack(
        flags,
        key.tag,
        (fields.service_date - EPOCH).days,
        _minutes(fields.slot_start),
        _minutes(fields.slot_end),
    )
    parts = [fields.office_code, fields.code] + ([] if ref_is_code else [fields.booking_ref])
    for text in parts:
        raw = text.encode("ascii")
        body += bytes([len(raw)]) + raw
    signature = key.sign(CODE_PURPOSE, body)
    return SIGNED_PREFIX + base64.b32encode(body + signature).decode("ascii").rstrip("=")


def verify(text: str, keyring: Keyring) -> Verified | None:
    """The fields of a genuine code, or None (malformed, unknown key, bad signature). Never raises."""
    try:
        raw = _unbase32(text)
        if raw is None or len(raw) <= _HEADER.size + SIGNATURE_BYTES:
            return None
        body, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
        fields, tag = _decode_body(body)
        if fields is None:
            return None
        key_id = keyring.verify_tagged(tag, CODE_PURPOSE, body, signature)
        return None if key_id is None else Verified(fields, key_id)
    except (ValueError, struct.error, UnicodeDecodeError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class Reading:
    """What a payload says once any signature on it is checked: the payload to decide on (for a
    genuine signed code, the inner booking code, so the local lookup finds it by its code's hash),
    whether the signature held (None: not a signed code), and a genuine code's signed fields."""

    payload: Payload
    signature_valid: bool | None = None
    fields: SignedFields | None = None


def read(raw: bytes | str, keyring: Keyring) -> Reading:
    """Parse what the reader saw and verify a KS1 code. Total: never raises.

    A plain code passes through. A genuine signed code gives its inner booking code and signed fields;
    a bad, truncated, padded or extended one, or one under an unknown key, gives signature_valid=False,
    which the decision answers with FORGED."""
    payload = parse_payload(raw)
    if payload.kind is not PayloadKind.SIGNED_CODE:
        return Reading(payload)
    verified = verify(payload.code, keyring)
    if verified is None:
        return Reading(payload, signature_valid=False)
    return Reading(Payload(PayloadKind.SIGNED_CODE, verified.fields.code), True, verified.fields)


def _unbase32(text: str) -> bytes | None:
    upper = text.upper()
    if not upper.startswith(SIGNED_PREFIX):
        return None
    body = upper[len(SIGNED_PREFIX) :]
    if not body.isascii() or not body.isalnum():
        return None
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        return None
    # One text per byte string: refuse non-zero padding bits and over-long bodies.
    if base64.b32encode(raw).decode("ascii").rstrip("=") != body:
        return None
    return raw


def _decode_body(body: bytes) -> tuple[SignedFields | None, bytes]:
    flags, tag, days, start, end = _HEADER.unpack_from(body)
    party_size = flags & 0x07
    if flags & 0xC0 or not 1 <= party_size <= MAX_PARTY_SIZE or start >= 1440 or end >= 1440:
        return None, tag
    texts: list[str] = []
    offset = _HEADER.size
    wanted = 2 if flags & _REF_IS_CODE else 3
    for _ in range(wanted):
        if offset >= len(body):
            return None, tag
        length = body[offset]
        chunk = body[offset + 1 : offset + 1 + length]
        if len(chunk) != length:
            return None, tag
        texts.append(chunk.decode("ascii"))
        offset += 1 + length
    if offset != len(body):  # trailing bytes after a complete payload
        return None, tag
    office, code = texts[0], texts[1]
    ref = code if flags & _REF_IS_CODE else texts[2]
    if not (_OFFICE.fullmatch(office) and _CODE.fullmatch(code) and _REF.fullmatch(ref)):
        return None, tag
    fields = SignedFields(
        code=code,
        booking_ref=ref,
        office_code=office,
        service_date=EPOCH + dt.timedelta(days=days),
        slot_start=dt.time(start // 60, start % 60),
        slot_end=dt.time(end // 60, end % 60),
        party_size=party_size,
        category=_CATEGORIES[(flags >> 3) & 0x03],
    )
    return fields, tag


def _check_fields(fields: SignedFields) -> None:
    if not _CODE.fullmatch(fields.code):
        raise ValueError("a signed code needs a canonical booking code (8-32 of A-Z, 0-9)")
    if not _OFFICE.fullmatch(fields.office_code):
        raise ValueError(f"office code {fields.office_code!r} cannot go into a signed code")
    if not _REF.fullmatch(fields.booking_ref):
        raise ValueError(f"booking ref {fields.booking_ref!r} cannot go into a signed code")
    if not 1 <= fields.party_size <= MAX_PARTY_SIZE:
        raise ValueError("party size must be 1 to 5")
    if not 0 <= (fields.service_date - EPOCH).days < 2**16:
        raise ValueError("service date out of range")


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute
