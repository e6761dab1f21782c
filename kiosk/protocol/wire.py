"""What both ends need beyond the models: header names, cursors, page and notice signatures, and the
conversions between wire models and domain values."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.model import VERDICT_OF, Booking, Decision, Status, Verdict
from kiosk.protocol.keys import (
    NOTICE_PURPOSE,
    PAGE_PURPOSE,
    RECEIPT_PURPOSE,
    Keyring,
    SigningKey,
    b64decode,
    b64encode,
)
from kiosk.protocol.schema import AuditReceipt, BookingView, OfficeName, PageBody, ServerKey, WireDecision

API_PREFIX = "/v1"
SERVER_TIME_HEADER = "X-Server-Time"
KEY_ID_HEADER = "X-Kiosk-Key-Id"
SIGNATURE_HEADER = "X-Kiosk-Signature"
#: Sent by the kiosk: the key ids it has pinned, so the server signs with one the kiosk knows.
KNOWN_KEYS_HEADER = "X-Kiosk-Keys"
AUTHORIZATION = "Authorization"
#: Query parameter of GET /v1/bookings: the digest of the office directory the kiosk holds
#: (directory_digest(); of the empty directory when it holds none). A kiosk that sends it gets the
#: page's `offices` whenever the server's directory differs; one that does not (older) never does.
OFFICES_QUERY = "offices"


class ProtocolError(Exception):
    """A response that breaks the protocol: refused as a whole, nothing of it applied."""


# --- cursors --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class CursorValue:
    """The server's position in an office's feed: `<epoch>.<seq>`. The epoch changes when the server's
    feed is rebuilt (a restored database); the kiosk compares only positions of the same epoch."""

    epoch: str
    seq: int

    def __str__(self) -> str:
        return f"{self.epoch}.{self.seq}"

    @classmethod
    def parse(cls, text: str) -> CursorValue:
        epoch, _, seq = text.partition(".")
        if len(epoch) != 8 or not seq.isdigit() or len(seq) > 18:
            raise ValueError(f"not a feed cursor: {text!r}")
        try:
            int(epoch, 16)
        except ValueError as exc:
            raise ValueError(f"not a feed cursor: {text!r}") from exc
        return cls(epoch, int(seq))


# --- signatures -----------------------------------------------------------------------------------


def sign_page(key: SigningKey, body: bytes) -> dict[str, str]:
    """The headers that sign a page body (its exact bytes)."""
    return {KEY_ID_HEADER: key.key_id, SIGNATURE_HEADER: b64encode(key.sign(PAGE_PURPOSE, body))}


def verify_page(keyring: Keyring, headers: Any, body: bytes) -> PageBody:
    """Check the page's signature over its exact bytes, then parse it. Raises ProtocolError."""
    key_id = headers.get(KEY_ID_HEADER, "")
    try:
        signature = b64decode(headers.get(SIGNATURE_HEADER, ""))
    except ValueError as exc:
        raise ProtocolError("page signature is not base64url") from exc
    if key_id not in keyring:
        raise ProtocolError(f"page signed with a key this kiosk does not trust: {key_id[:32]!r}")
    if not keyring.verify(key_id, PAGE_PURPOSE, body, signature):
        raise ProtocolError("page signature does not verify")
    try:
        return PageBody.model_validate_json(body)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise ProtocolError(f"signed page does not match the schema: {str(exc)[:200]}") from exc


def sign_notice(key: SigningKey, notice: dict[str, str]) -> tuple[str, str]:
    text = json.dumps(notice, sort_keys=True, separators=(",", ":"))
    return text, b64encode(key.sign(NOTICE_PURPOSE, text.encode("utf-8")))


def verify_notice(keyring: Keyring, key_id: str, text: str, signature: str) -> dict[str, str] | None:
    try:
        raw_signature = b64decode(signature)
    except ValueError:
        return None
    if not keyring.verify(key_id, NOTICE_PURPOSE, text.encode("utf-8"), raw_signature):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return {str(k): v for k, v in data.items()}


def receipt_text(kiosk_id: str, seq: int, head_hash: str, server_time: str) -> str:
    """What an audit receipt signs: one canonical line naming the kiosk, so that a receipt for one
    kiosk's chain can never be shown as another's."""
    return json.dumps(
        {"hash": head_hash, "kiosk_id": kiosk_id, "seq": seq, "server_time": server_time},
        sort_keys=True,
        separators=(",", ":"),
    )


def sign_receipt(key: SigningKey, kiosk_id: str, seq: int, head_hash: str, server_time: str) -> AuditReceipt:
    message = receipt_text(kiosk_id, seq, head_hash, server_time).encode("utf-8")
    signature = b64encode(key.sign(RECEIPT_PURPOSE, message))
    return AuditReceipt(
        kiosk_id=kiosk_id, seq=seq, hash=head_hash, server_time=server_time, key_id=key.key_id, signature=signature
    )


def verify_receipt(keyring: Keyring, receipt: AuditReceipt) -> bool:
    """True when a key this kiosk trusts signed exactly this receipt. Never raises."""
    try:
        signature = b64decode(receipt.signature)
    except ValueError:
        return False
    message = receipt_text(receipt.kiosk_id, receipt.seq, receipt.hash, receipt.server_time).encode("utf-8")
    return keyring.verify(receipt.key_id, RECEIPT_PURPOSE, message, signature)


def keyring_of(keys: list[ServerKey]) -> Keyring:
    return Keyring.from_texts((key.key_id, key.public_key) for key in keys)


# --- the office directory -------------------------------------------------------------------------


def directory_digest(names: Mapping[str, str]) -> str:
    """The digest of an office directory (code -> full name), the same on both ends: sha256 of its
    canonical JSON (sorted by code). The empty directory has a digest too."""
    text = json.dumps(sorted(names.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def directory_of(entries: Iterable[OfficeName]) -> dict[str, str]:
    """A page's directory as a mapping; an office named twice breaks the protocol (ProtocolError)."""
    names: dict[str, str] = {}
    for entry in entries:
        if entry.office_code in names:
            raise ProtocolError(f"the office directory names office {entry.office_code} twice")
        names[entry.office_code] = entry.name
    return names


# --- conversions ----------------------------------------------------------------------------------


def view_of(booking: Booking, with_personal: bool) -> BookingView:
    return BookingView(
        booking_ref=booking.booking_ref,
        office_code=booking.office_code,
        service_date=booking.service_date,
        slot_start=booking.slot_start.strftime("%H:%M"),
        slot_end=booking.slot_end.strftime("%H:%M"),
        status=booking.status,
        party_size=booking.party_size,
        category=booking.category,
        display_name=booking.display_name if with_personal else "",
        nik_last4=booking.nik_last4 if with_personal else "",
        code_masked=booking.code_masked,
        version=booking.version,
    )


def booking_of_view(view: BookingView) -> Booking:
    return Booking(
        booking_ref=view.booking_ref,
        office_code=view.office_code,
        service_date=view.service_date,
        slot_start=dt.time.fromisoformat(view.slot_start),
        slot_end=dt.time.fromisoformat(view.slot_end),
        status=Status(view.status),
        party_size=view.party_size,
        category=view.category,
        display_name=view.display_name,
        nik_last4=view.nik_last4,
        code_masked=view.code_masked,
        version=view.version,
    )


def wire_decision(decision: Decision, with_personal: bool) -> WireDecision:
    booking = decision.booking
    return WireDecision(
        verdict=decision.verdict,
        reason=decision.reason,
        persons=decision.persons,
        facts=dict(decision.facts),
        booking=None if booking is None else view_of(booking, with_personal),
    )


def decision_of(wire: WireDecision) -> Decision:
    """A domain Decision from the server's answer. Raises ProtocolError when the verdict does not belong
    to the reason or an admission names nobody (fail closed: the caller then decides locally)."""
    if VERDICT_OF[wire.reason] is not wire.verdict:
        raise ProtocolError(f"the server's verdict {wire.verdict} does not go with reason {wire.reason}")
    booking = None if wire.booking is None else booking_of_view(wire.booking)
    if wire.verdict is Verdict.ADMIT and (wire.persons < 1 or booking is None):
        raise ProtocolError("the server admitted nobody, or no booking")
    persons = wire.persons if wire.verdict is Verdict.ADMIT else 0
    return Decision(wire.verdict, wire.reason, persons, booking, dict(wire.facts))
