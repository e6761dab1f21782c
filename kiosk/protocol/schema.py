"""The wire schema: every request and response body of the sync protocol, as pydantic models.

The server declares its endpoints with these models (so its OpenAPI spec is generated from them) and
the kiosk validates what it receives with the same models. Strings are constrained to what the
domain accepts (a booking code is the canonical code grammar, names carry no control or bidi
characters, times are aware); anything else is refused before it reaches a database.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from kiosk.domain.model import MAX_PARTY_SIZE, Category, Reason, Status, Verdict
from kiosk.domain.payload import MAX_MASKED_CHARS

# --- field shapes ---------------------------------------------------------------------------------

#: A canonical booking code: what parse_payload() returns (upper case, no hyphens).
Code = Annotated[str, Field(max_length=32, pattern=r"^[A-Z0-9]{8,32}$", examples=["MP7K2Q9T3M"])]
BookingRef = Annotated[
    str, Field(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$", examples=["MP-2026-000123"])
]
OfficeCode = Annotated[str, Field(max_length=32, pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$", examples=["JKT-SELATAN"])]
Gate = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", examples=["G1"])]
KioskId = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", examples=["K-7F3A9C21"])]
KeyId = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", examples=["k-20261128-1a2b"])]
SlotTime = Annotated[str, Field(max_length=5, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["10:30"])]
#: Printable text for the guard's screen: no control characters, no bidi overrides or isolates.
GuardText = Annotated[str, Field(max_length=120, pattern="^[^\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$")]
NikLast4 = Annotated[str, Field(max_length=4, pattern=r"^([0-9]{4})?$")]
Uuid = Annotated[
    str,
    Field(
        max_length=36,
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        examples=["0b7e5a0e-8a8f-4b59-9a53-2f0e6b6f2d11"],
    ),
]
Cursor = Annotated[str, Field(max_length=27, pattern=r"^[0-9a-f]{8}\.[0-9]{1,18}$", examples=["3f9a0c1d.120345"])]
Hash64 = Annotated[str, Field(max_length=64, pattern=r"^[0-9a-f]{64}$")]
#: One line of text without control characters (C0, DEL): a NUL, for one, no PostgreSQL text can hold.
_PRINTABLE = "^[^\x00-\x1f\x7f]*$"
#: A masked booking code (kiosk.domain.payload.mask_evidence): at most MAX_MASKED_CHARS, on the kiosk,
#: on the wire and in the server's tables alike.
ShortText = Annotated[str, Field(max_length=MAX_MASKED_CHARS, pattern=_PRINTABLE)]
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Seq = Annotated[int, Field(ge=0, le=2**62)]


def _plausible(value: dt.datetime) -> dt.datetime:
    # wide on purpose: a kiosk whose clock reset to 1970 still uploads what it did; only values that no
    # database or time zone conversion can hold are refused
    if not 1900 <= value.year <= 9000:
        raise ValueError("time out of range (years 1900 to 9000)")
    return value


def _trimmed(value: str) -> str:
    if value != value.strip() or "  " in value:
        raise ValueError("no spaces at either end, and single spaces between words")
    return value


#: An aware time that survives conversion to UTC and storage on both databases.
Timestamp = Annotated[AwareDatetime, AfterValidator(_plausible)]
PartySize = Annotated[int, Field(ge=1, le=MAX_PARTY_SIZE)]

MAX_EVENTS_PER_BATCH = 500
#: Audit entries per upload: ~330 bytes each on the wire, so a full batch of both stays far below the
#: server's 1 MiB limit for /v1/events.
MAX_AUDIT_ENTRIES_PER_BATCH = 500
MAX_PAGE_LIMIT = 5000
MAX_NOTE_CHARS = 2000
MAX_FACTS = 64
MAX_EXTRA = 32
MAX_EXTRA_BYTES = 4096

#: An event's facts: short names, values of at most a thousand characters (and no NUL).
FactKey = Annotated[str, Field(max_length=64)]
FactValue = Annotated[str, Field(max_length=1000, pattern="^[^\x00]*$")]


def _bounded_extra(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse an `extra` whose JSON is larger than MAX_EXTRA_BYTES, or that is no UTF-8 text at all
    (a lone surrogate). Its shape is free: it holds outbox fields this protocol version does not name."""
    try:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"))
    except (UnicodeEncodeError, RecursionError, ValueError) as exc:
        raise ValueError(f"extra is not JSON text: {type(exc).__name__}") from exc
    if size > MAX_EXTRA_BYTES:
        raise ValueError(f"extra holds {size} bytes of JSON; at most {MAX_EXTRA_BYTES}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- keys, office, errors -------------------------------------------------------------------------


class ServerKey(_Model):
    """One of the server's Ed25519 public keys (raw 32 bytes, unpadded base64url)."""

    key_id: KeyId
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{43}$")]


class OfficeInfo(_Model):
    """The office a kiosk serves and its rules (the fields of kiosk.domain.model.OfficeRules)."""

    office_code: OfficeCode
    rules: dict[str, Any]
    signed_codes: bool = False


#: An office's full name as the applicant reads it ("Kantor Imigrasi Kelas I TPI Semarang"): one line,
#: no control characters, no bidi overrides or isolates.
OfficeFullName = Annotated[
    str,
    Field(min_length=1, max_length=120, pattern="^[^\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$"),
    AfterValidator(_trimmed),
]
#: Offices in one directory, at most (Indonesia has some 125 immigration offices and as many units).
MAX_DIRECTORY_OFFICES = 2000


class OfficeName(_Model):
    """One line of the office directory: an office's code and its full name (public information)."""

    office_code: OfficeCode
    name: OfficeFullName


class ErrorBody(_Model):
    error: str
    detail: str = ""
    server_time: AwareDatetime


class RevokedBody(_Model):
    """403 answer to a revoked kiosk. `notice` is JSON text {"kiosk_id", "revoked_at"}; the signature
    (Ed25519, purpose "kiosk.notice.v1\\n") covers exactly its UTF-8 bytes."""

    error: Literal["kiosk_revoked"] = "kiosk_revoked"
    detail: str = ""
    notice: str
    key_id: KeyId
    signature: str
    server_time: AwareDatetime


# --- enrolment ------------------------------------------------------------------------------------


class EnrolRequest(_Model):
    token: Annotated[str, Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
    gate: Gate
    label: GuardText = ""


class EnrolResponse(_Model):
    kiosk_id: KioskId
    office: OfficeInfo
    device_token: str
    keys: list[ServerKey]
    server_time: AwareDatetime


# --- the booking feed -----------------------------------------------------------------------------


class WireBooking(_Model):
    """A booking as the feed (and the import) carries it. The kiosk hashes `code` and keeps only the hash."""

    code: Code
    booking_ref: BookingRef
    office_code: OfficeCode
    service_date: dt.date
    slot_start: SlotTime
    slot_end: SlotTime
    status: Status = Status.ACTIVE
    party_size: PartySize = 1
    category: Category = Category.REGULAR
    display_name: GuardText = ""
    nik_last4: NikLast4 = ""
    version: Version = 1
    updated_at: Timestamp | None = None


class Tombstone(_Model):
    """A booking that is no longer valid for this office.

    cancelled / rescheduled: the kiosk keeps the code's hash and slot with no personal fields, so the
    applicant is told CANCELLED / RESCHEDULED (this is also the revocation list of signed codes).
    removed: the booking moved to another office or was deleted upstream; the kiosk deletes it."""

    booking_ref: BookingRef
    version: Version
    status: Literal["cancelled", "rescheduled", "removed"]
    code: Code | None = None
    office_code: OfficeCode | None = None
    service_date: dt.date | None = None
    slot_start: SlotTime | None = None
    slot_end: SlotTime | None = None


class PageBody(_Model):
    """One page of the feed. Its exact bytes are signed: headers X-Kiosk-Key-Id and X-Kiosk-Signature."""

    protocol: int
    kiosk_id: KioskId
    office: OfficeInfo
    #: The cursor this page answers (None: from the beginning). The kiosk refuses a page that does not
    #: answer the cursor it asked with.
    since: Cursor | None
    #: Where the next request starts. Never behind `since` (the kiosk checks).
    cursor: Cursor
    has_more: bool
    server_time: AwareDatetime
    #: The server's current public keys; the kiosk pins this list once the page's signature checks out.
    keys: list[ServerKey]
    bookings: list[WireBooking]
    tombstones: list[Tombstone]
    #: The office directory (every named office, the kiosk's own among them), sent only to a kiosk that
    #: asked with `offices=<digest>` (kiosk.protocol.wire.OFFICES_QUERY) and only when the directory's
    #: digest (wire.directory_digest) differs from the one it sent; absent otherwise, and always absent
    #: for a kiosk that did not ask (an older kiosk refuses a page with a field it does not know).
    offices: Annotated[list[OfficeName], Field(max_length=MAX_DIRECTORY_OFFICES)] | None = None


# --- events ---------------------------------------------------------------------------------------


class AuditHead(_Model):
    seq: Seq
    hash: Hash64


class WireEvent(_Model):
    """A scan event or guard action from the kiosk's outbox. `event_uuid` is made by the kiosk and makes
    the upload idempotent. No names, no NIK digits, no codes (only the masked form).

    Every field is bounded so that it fits the server's column (kiosk/server/models.py EventRow) and
    holds nothing a database refuses: a refusal is a 422 for the batch, never a server error."""

    event_uuid: Uuid
    occurred_at: Timestamp
    kind: Annotated[str, Field(max_length=16, pattern=r"^[a-z][a-z_.]{0,15}$")]
    kiosk_id: Annotated[str, Field(max_length=64, pattern=_PRINTABLE)]
    gate: Annotated[str, Field(max_length=32, pattern=_PRINTABLE)]
    office_code: Annotated[str, Field(max_length=32, pattern=_PRINTABLE)]
    booking_ref: BookingRef | None = None
    code_masked: ShortText = ""
    payload_kind: Annotated[str, Field(max_length=24, pattern=_PRINTABLE)] = ""
    verdict: Annotated[str, Field(max_length=8, pattern=_PRINTABLE)] = ""
    reason: Annotated[str, Field(max_length=24, pattern=_PRINTABLE)] = ""
    persons: Annotated[int, Field(ge=0, le=50)] = 0
    service_date: dt.date | None = None
    guard_id: Count | None = None
    ref_event: Uuid | None = None
    #: A guard's note (the kiosk cleans it to one line); anything but NUL is kept.
    note: Annotated[str, Field(max_length=MAX_NOTE_CHARS, pattern="^[^\x00]*$")] | None = None
    facts: dict[FactKey, FactValue] = Field(default_factory=dict, max_length=MAX_FACTS)
    audit_seq: Seq | None = None
    audit_hash: Hash64 | None = None
    #: Outbox fields this protocol version does not name, kept rather than refused: at most MAX_EXTRA
    #: keys and MAX_EXTRA_BYTES of JSON (UTF-8) in all.
    extra: Annotated[dict[str, Any], AfterValidator(_bounded_extra)] = Field(default_factory=dict, max_length=MAX_EXTRA)


class WireAuditEntry(_Model):
    """One entry of the kiosk's hash-chained audit log (kiosk/store/audit.py), exactly as stored: the
    server recomputes its hash and checks that it links to the entry before it."""

    seq: Annotated[int, Field(ge=1, le=2**62)]
    at: Annotated[str, Field(max_length=40, pattern=_PRINTABLE)]
    kind: Annotated[str, Field(max_length=32, pattern=r"^[a-z][a-z_.]{0,31}$")]
    subject: Annotated[str, Field(max_length=128, pattern=_PRINTABLE)]
    digest: Hash64
    prev_hash: Hash64
    hash: Hash64


class AuditReceipt(_Model):
    """The server's signed word that it holds this kiosk's audit chain up to entry `seq`, whose hash is
    `hash`: Ed25519 over RECEIPT_PURPOSE + receipt_text() (kiosk/protocol/wire.py)."""

    kiosk_id: KioskId
    seq: Annotated[int, Field(ge=1, le=2**62)]
    hash: Hash64
    server_time: Annotated[str, Field(max_length=40, pattern=_PRINTABLE)]
    key_id: KeyId
    signature: Annotated[str, Field(max_length=100, pattern=r"^[A-Za-z0-9_-]*$")]


#: A line the office's IT person reads in a terminal: printable, no bidi overrides or isolates.
HealthText = Annotated[str, Field(max_length=120, pattern="^[^\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$")]
MAX_HEALTH_FAULTS = 8


class KioskHealth(_Model):
    """How the kiosk is, as it says at each sync (`EventBatch.health`); the server keeps the newest and
    `kiosk server kiosks` judges it. Every field but `version` may be missing (not known where the sync
    ran: `kiosk sync now` knows no camera). A server that refuses the health (one older than this
    field, or than a field of it: 422 naming `health`) gets the upload again without it."""

    #: The kiosk's software version (kiosk.__version__).
    version: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9.+_-]{0,39}$")]
    #: Seconds since the kiosk process started.
    uptime_s: Count | None = None
    #: False: the camera is in fault (`camera` says why); None: not known, or no camera.
    camera_ok: bool | None = None
    #: The camera's fault, or the camera itself when it works.
    camera: HealthText = ""
    #: The QR decoder's name, and whether it runs in a process of its own.
    decoder: Annotated[str, Field(max_length=40, pattern=_PRINTABLE)] = ""
    decoder_process: bool | None = None
    #: The gate relay: closed, open or fault; the relay (board, port) and its fault.
    relay_state: Annotated[str, Field(max_length=16, pattern=r"^[a-z_]*$")] | None = None
    relay: HealthText = ""
    relay_fault: HealthText = ""
    #: What holds the kiosk OUT OF ORDER now (camera, database, gate); empty when nothing does.
    faults: Annotated[
        list[Annotated[str, Field(max_length=16, pattern=r"^[a-z_]+$")]], Field(max_length=MAX_HEALTH_FAULTS)
    ] = []
    #: Age of the kiosk's booking data in seconds (negative: its clock was set back); None: no
    #: complete download yet.
    data_age_s: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | None = None
    #: The kiosk's clock minus the server's, in seconds, as measured at its last page.
    clock_offset_s: Annotated[float, Field(ge=-1e9, le=1e9)] | None = None
    #: Free bytes on the disk that holds the kiosk's database.
    free_disk_bytes: Annotated[int, Field(ge=0, le=2**62)] | None = None
    #: Audit entries the kiosk holds no server receipt for yet (before this upload).
    unanchored_audit: Count | None = None
    #: Events waiting in the outbox, and events refused for good (kept for IT).
    outbox_pending: Count | None = None
    outbox_refused: Count | None = None


class EventBatch(_Model):
    events: Annotated[list[WireEvent], Field(max_length=MAX_EVENTS_PER_BATCH)]
    audit_head: AuditHead
    outbox_pending: Count = 0
    cursor: Cursor | None = None
    #: The audit entries the server has not anchored yet, oldest first and consecutive (the kiosk starts
    #: after its newest receipt, or where the server's checkpoints say).
    audit_entries: Annotated[list[WireAuditEntry], Field(max_length=MAX_AUDIT_ENTRIES_PER_BATCH)] = []
    #: The kiosk's health at this upload (none from a kiosk older than this field).
    health: KioskHealth | None = None


class EventResult(_Model):
    event_uuid: Uuid
    #: stored: now on the server (first time or same body again); duplicate: was already there with
    #: the same body; conflict: refused for good, not retried: the server holds a different event under
    #: this id, or the event is not this kiosk's to write (another office's, or another kiosk's id; the
    #: detail then begins "refused:"), and nothing of it was kept.
    status: Literal["stored", "duplicate", "conflict"]
    detail: str = ""


class EventBatchResult(_Model):
    results: list[EventResult]
    audit: Literal["ok", "alert"]
    audit_detail: str = ""
    server_time: AwareDatetime
    #: The server's signed receipt for the part of the kiosk's chain it now holds (none before the
    #: first entry arrived).
    receipt: AuditReceipt | None = None
    #: Sent when the entries did not link to what the server holds: (seq, hash) of the server's copy at
    #: its head and at exponentially older points. The kiosk sends again from after the newest one its
    #: own chain agrees with (from entry 1 when none), and the server finds where the chains part.
    checkpoints: Annotated[list[AuditHead], Field(max_length=70)] = []


# --- online check ---------------------------------------------------------------------------------


class CheckRequest(_Model):
    event_uuid: Uuid
    #: The scanned text exactly as read (a booking code or a KS1 signed code).
    payload: Annotated[str, Field(min_length=1, max_length=512)]
    gate: Gate
    occurred_at: Timestamp
    other_codes: Annotated[int, Field(ge=0, le=20)] = 0
    #: The kiosk's audit head at the scan: pinned by the server, so that a rewrite between two syncs
    #: shows when the entries arrive.
    audit_head: AuditHead | None = None


class BookingView(_Model):
    booking_ref: BookingRef
    office_code: OfficeCode
    service_date: dt.date
    slot_start: SlotTime
    slot_end: SlotTime
    status: Status
    party_size: PartySize
    category: Category
    display_name: GuardText = ""
    nik_last4: NikLast4 = ""
    code_masked: ShortText = ""
    version: Version = 1


class WireDecision(_Model):
    verdict: Verdict
    reason: Reason
    persons: Annotated[int, Field(ge=0, le=50)] = 0
    facts: dict[str, str] = Field(default_factory=dict)
    booking: BookingView | None = None


class CheckResponse(_Model):
    event_uuid: Uuid
    decision: WireDecision
    server_time: AwareDatetime


class TimeResponse(_Model):
    server_time: AwareDatetime
