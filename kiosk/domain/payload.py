"""The QR payload grammar: a strict ASCII booking code, and a name for everything else.

A booking code is 8 to 32 letters and digits, optionally in groups joined by single hyphens, with at
least one letter (so a 16-digit NIK or a 15-digit billing code can never be one). Readers and keyboard
scanners add spaces, CR/LF or tabs at the ends, and people type in lower case: those are forgiven.
Anything else (control characters, bidi overrides, look-alike letters, full-width digits, invalid UTF-8,
huge payloads) is refused with a named kind, so the applicant can be told what they showed instead.
Parsing never raises.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

#: More than any booking QR carries; bigger payloads are refused before any other work.
MAX_PAYLOAD_BYTES = 512
MIN_CODE_CHARS = 8
MAX_CODE_CHARS = 32

#: Prefix of the signed compact format (issue: signed booking codes). The body is base32 text.
SIGNED_PREFIX = "KS1."

_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
_SIGNED = re.compile(r"KS1\.[A-Z2-7]{16,400}")
_ASCII_EDGE_SPACE = " \t\r\n"


class PayloadKind(enum.StrEnum):
    """What a payload turned out to be. Only BOOKING_CODE and SIGNED_CODE go on to the decision."""

    BOOKING_CODE = "booking_code"
    SIGNED_CODE = "signed_code"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_TEXT = "not_text"  # not valid UTF-8
    NOT_ASCII = "not_ascii"  # look-alike letters, full-width digits, emoji, bidi, zero-width...
    CONTROL_CHARS = "control_chars"
    URL = "url"
    WIFI = "wifi"
    CONTACT = "contact"  # vCard / MECARD
    NATIONAL_ID = "national_id"  # a 16-digit NIK
    BILLING_CODE = "billing_code"  # a 15-digit payment billing code
    HEALTH_CERT = "health_cert"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Payload:
    """A parsed payload: its kind and, for booking codes, the canonical code."""

    kind: PayloadKind
    code: str = ""  # canonical: upper case, no hyphens; empty unless kind is a code

    @property
    def is_code(self) -> bool:
        return self.kind in (PayloadKind.BOOKING_CODE, PayloadKind.SIGNED_CODE)


def parse_payload(raw: bytes | str) -> Payload:
    """Classify raw QR bytes (or typed text). Total: every input gets a Payload, nothing raises."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8", "surrogatepass")
        except UnicodeError:
            return Payload(PayloadKind.NOT_TEXT)
    if len(raw) > MAX_PAYLOAD_BYTES:
        return Payload(PayloadKind.TOO_LONG)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Payload(PayloadKind.NOT_TEXT)
    stripped = text.strip(_ASCII_EDGE_SPACE)
    for classify in _CLASSIFIERS:
        payload = classify(stripped)
        if payload is not None:
            return payload
    return Payload(PayloadKind.OTHER)


def mask_code(code: str) -> str:
    """Show the guard enough of a code to compare with the applicant's phone, not enough to reuse it."""
    if len(code) <= 4:
        return "*" * len(code)
    return f"{code[:2]}{'*' * (len(code) - 4)}{code[-2:]}"


#: The longest masked code anywhere: on the kiosk, on the wire and in the server's tables.
MAX_MASKED_CHARS = 40


def mask_evidence(code: str, digest_hex: str) -> str:
    """The masked code an event keeps as evidence, never longer than MAX_MASKED_CHARS.

    A booking code (at most 32 characters) is masked as the guard sees it. A longer text (a signed
    code, genuine or forged, is ~150 characters) keeps a few characters from each end, its length
    and the first 8 hex digits of a keyed hash of the whole text (`digest_hex`, made by the caller
    with its own key), so two reports of the same forged code can be matched without storing it:
    ``KS1.AB..WXYZ/152#1a2b3c4d``."""
    if len(code) <= MAX_CODE_CHARS:
        return mask_code(code)
    return f"{code[:6]}..{code[-4:]}/{len(code)}#{digest_hex[:8]}"[:MAX_MASKED_CHARS]


def _empty(text: str) -> Payload | None:
    # `text` has already lost its ASCII edge whitespace; str.strip() here would also call a lone
    # control character (\x1c-\x1f, \x0b, \x0c) or a Unicode space "empty".
    return Payload(PayloadKind.EMPTY) if not text else None


def _not_ascii(text: str) -> Payload | None:
    return None if text.isascii() else Payload(PayloadKind.NOT_ASCII)


def _control_chars(text: str) -> Payload | None:
    has_control = any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)
    return Payload(PayloadKind.CONTROL_CHARS) if has_control else None


def _booking_code(text: str) -> Payload | None:
    upper = text.upper()
    if not _CODE.fullmatch(upper):
        return None
    code = upper.replace("-", "")
    if not MIN_CODE_CHARS <= len(code) <= MAX_CODE_CHARS:
        return None
    if not any(ch.isalpha() for ch in code):
        return None
    return Payload(PayloadKind.BOOKING_CODE, code)


def _signed_code(text: str) -> Payload | None:
    if not text.upper().startswith(SIGNED_PREFIX):
        return None
    upper = text.upper()
    return Payload(PayloadKind.SIGNED_CODE, upper) if _SIGNED.fullmatch(upper) else None


_URL = re.compile(r"(?i)^(https?|ftp|intent|market|whatsapp|tel|mailto|sms|geo):")
_HEALTH = re.compile(r"^(HC1:|SHC:/|DIVOC|NZCP:/)")


def _known_foreign(text: str) -> Payload | None:
    upper = text.upper()
    if _URL.match(text) or upper.startswith("WWW."):
        return Payload(PayloadKind.URL)
    if upper.startswith("WIFI:"):
        return Payload(PayloadKind.WIFI)
    if upper.startswith(("BEGIN:VCARD", "MECARD:", "BIZCARD:")):
        return Payload(PayloadKind.CONTACT)
    if _HEALTH.match(upper):
        return Payload(PayloadKind.HEALTH_CERT)
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 16:
        return Payload(PayloadKind.NATIONAL_ID)
    if digits.isdigit() and len(digits) == 15:
        return Payload(PayloadKind.BILLING_CODE)
    return None


# Order matters: the cheap refusals of hostile text first, then the two code shapes, then the names
# of common foreign payloads (a NIK is all digits, so it never matches the booking code grammar), and
# only then control characters: a vCard is CRLF-separated lines by definition, and the applicant is
# better told "this is a contact card" than "invalid characters". Neither code shape can hold a
# control character, so this order never lets one through.
_CLASSIFIERS = (_empty, _not_ascii, _signed_code, _booking_code, _known_foreign, _control_chars)
